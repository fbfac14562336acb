from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self):
        from accounts.roles import roles_ensure

        # When the last app's turn comes, every app's permissions exist (INSTALLED_APPS order).
        last = list(apps.get_app_configs())[-1]
        post_migrate.connect(roles_ensure, sender=last, dispatch_uid="accounts.roles_ensure")
