"""DRF's authtoken keys (stored in clear) become hashed accounts.ApiToken rows, and are removed.

A gateway configured with its old key keeps working: the key's digest is what accounts.tokens looks
up. The clear keys are deleted, so neither the admin nor a database backup holds them any more.
The digest is written out here, not imported from accounts.tokens, so this migration means the same
thing whatever that module becomes; tests/accounts/test_api_tokens.py checks that the two agree.

Not reversible in substance: a key cannot be recovered from its digest. Migrating backwards leaves
the authtoken table empty (and 0005's reversal drops the hashed tokens): run create_api_token again.
"""

import hashlib

from django.db import migrations

PREFIX_LENGTH = 8
DRF_TOKEN_PERMISSIONS = ["add_token", "change_token", "view_token", "delete_token"]
DRF_TOKEN_PERMISSIONS += [name.replace("token", "tokenproxy") for name in DRF_TOKEN_PERMISSIONS]


def api_tokens_from_drf(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("accounts", "ApiToken")
    old = list(Token.objects.all())
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user_id=token.user_id,
                digest=hashlib.sha256(token.key.encode()).hexdigest(),
                prefix=token.key[:PREFIX_LENGTH],
                created=token.created,
            )
            for token in old
        ],
        ignore_conflicts=True,  # run twice, a key already hashed stays one row
    )
    Token.objects.filter(pk__in=[token.pk for token in old]).delete()


def admins_lose_drf_token_permissions(apps, schema_editor):
    """The authtoken admin is gone (accounts/admin.py); its permissions would only mislead."""
    admin = apps.get_model("auth", "Group").objects.filter(name="Admin").first()
    if admin is not None:
        admin.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="authtoken", codename__in=DRF_TOKEN_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_apitoken"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]
    operations = [
        migrations.RunPython(api_tokens_from_drf, migrations.RunPython.noop),
        migrations.RunPython(admins_lose_drf_token_permissions, migrations.RunPython.noop),
    ]
