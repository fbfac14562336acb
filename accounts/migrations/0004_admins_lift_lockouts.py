"""Admins may see login lockouts (django-axes) and lift one by deleting its access attempt.

The lockout page tells a locked-out person to ask an administrator; this is what lets them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LOCKOUT_PERMISSIONS = {
    ("axes", "accessattempt"): ["view", "delete"],
    ("axes", "accesslog"): ["view"],
    ("axes", "accessfailurelog"): ["view"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name="Admin")
    for (app_label, model), actions in LOCKOUT_PERMISSIONS.items():
        codenames = [f"{action}_{model}" for action in actions]
        admin.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    admin = apps.get_model("auth", "Group").objects.filter(name="Admin").first()
    if admin is not None:
        admin.permissions.remove(*Permission.objects.filter(content_type__app_label="axes"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_roles"),
        ("axes", "0010_accessattemptexpiration"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
