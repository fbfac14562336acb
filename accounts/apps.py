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
        self._connect_signin_audit()

    def _connect_signin_audit(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from accounts import signin_receivers as receivers

        hooks = [
            (user_logged_in, receivers.on_user_logged_in),
            (user_logged_out, receivers.on_user_logged_out),
            (user_login_failed, receivers.on_user_login_failed),
            (user_locked_out, receivers.on_user_locked_out),
        ]
        for signal, receiver in hooks:
            signal.connect(receiver, dispatch_uid=f"accounts.signin_audit.{receiver.__name__}")
