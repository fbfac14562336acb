"""The roles are groups: Clerk, Supervisor, Admin and Fax gateway (an integration account).

Only Admin needs model permissions (for the Django admin); the other roles are checked by
accounts.access. Nothing a report counts may be deleted, so no role gets delete permissions on
precincts or fax numbers.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ["Clerk", "Supervisor", "Admin", "Fax gateway"]
ADMIN_PERMISSIONS = {
    ("precincts", "precinct"): ["add", "change", "view"],
    ("precincts", "faxnumber"): ["add", "change", "view"],
    ("accounts", "user"): ["add", "change", "view"],
    ("auth", "group"): ["view"],
    ("authtoken", "token"): ["add", "change", "view", "delete"],
    ("authtoken", "tokenproxy"): ["add", "change", "view", "delete"],
}


def make_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    admin = Group.objects.get(name="Admin")
    for (app_label, model), actions in ADMIN_PERMISSIONS.items():
        codenames = [f"{action}_{model}" for action in actions]
        admin.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_precinct"),
        ("precincts", "0002_one_owner_at_a_time"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(make_roles, remove_roles)]
