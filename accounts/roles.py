"""The role groups and the Admin group's permissions, made sure of after every migrate.

The data migration 0003_roles creates them on a new database; this also runs on `post_migrate`, so a
database that was flushed (as transactional tests do) gets them back with nothing else to remember.
"""

from django.contrib.auth.models import Group, Permission

from accounts.access import Role

ADMIN_PERMISSIONS = {
    ("precincts", "precinct"): ["add", "change", "view"],
    ("precincts", "faxnumber"): ["add", "change", "view"],
    ("precincts", "knownsender"): ["add", "change", "view"],
    ("precincts", "knownsendermark"): ["add", "change", "delete", "view"],
    ("accounts", "user"): ["add", "change", "view"],
    ("auth", "group"): ["view"],
    # Revoking is a change; no delete, so a revoked token stays listed as the record of it.
    ("accounts", "apitoken"): ["add", "change", "view"],
    # The sign-in record is read-only: nobody may add, change or delete an event.
    ("accounts", "signinevent"): ["view"],
    # Retention (detainers.records): one rule per kind, its period changed, never added or deleted;
    # the destruction log is read-only.
    ("detainers", "retentionrule"): ["change", "view"],
    ("detainers", "destructionlog"): ["view"],
}


def roles_ensure(**kwargs) -> None:
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    admin = Group.objects.get(name=Role.ADMIN.value)
    for (app_label, model), actions in ADMIN_PERMISSIONS.items():
        codenames = [f"{action}_{model}" for action in actions]
        admin.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
