"""Print a new API token for a user (CONTRACT.md: "print the user's API token (creating it if needed)").

Tokens are stored hashed (accounts.tokens), so an existing one can never be printed again: every run
makes a new token, which is always "needed". The user's other tokens keep working until revoked,
so running this for a gateway does not cut off the one already configured; `--revoke-others` makes
it a rotation, `--revoke` only revokes.

The token alone goes to standard output, on the last line, so a script can take it with
`TOKEN=$(python manage.py create_api_token fax-gateway)`; what happened is said on standard error.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.tokens import api_token_create, api_tokens_of, api_tokens_revoke, api_tokens_usable_of


class Command(BaseCommand):
    help = (
        "Create and print a new API token for USERNAME (for `Authorization: Token <key>`). "
        "Keys are stored hashed, so this is the only time the key is shown; the user's other "
        "tokens keep working until revoked."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The account, e.g. fax-gateway.")
        parser.add_argument(
            "--revoke-others",
            action="store_true",
            help="Revoke the user's other tokens once the new one is made (rotation).",
        )
        parser.add_argument(
            "--revoke",
            action="store_true",
            help="Only revoke all of the user's tokens; make none and print nothing.",
        )
        parser.add_argument(
            "--expires-in",
            type=int,
            metavar="DAYS",
            help="The new token is refused after this many days (default: it never expires).",
        )

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"There is no user {username!r}. Create the account in /admin/ first "
                "(or run `python manage.py seed_demo` for the demo accounts)."
            )
        if options["revoke"]:
            revoked = api_tokens_revoke(tokens=api_tokens_of(user=user))
            self.stderr.write(f"Revoked {revoked} API token(s) of {username}; none made.")
            return
        if not user.is_active:
            raise CommandError(
                f"The user {username!r} is inactive, so a token would not work. "
                "Activate the account in /admin/ first."
            )
        self.stdout.write(self._token_made(user, username, options))

    def _token_made(self, user, username: str, options) -> str:
        days = options["expires_in"]
        if days is not None and days < 1:
            raise CommandError("--expires-in takes a whole number of days, 1 or more.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        token, key = api_token_create(user=user, expires_at=expires_at)
        others = api_tokens_usable_of(user=user).exclude(pk=token.pk)
        if options["revoke_others"]:
            revoked = api_tokens_revoke(tokens=others)
            kept = f"its {revoked} other token(s) are revoked"
        else:
            kept = (
                f"its {others.count()} other token(s) keep working until revoked "
                "(--revoke-others, or /admin/)"
            )
        until = (
            f", valid until {timezone.localtime(expires_at):%Y-%m-%d %H:%M %Z}"
            if expires_at
            else ""
        )
        self.stderr.write(
            f"New API token for {username}{until} (starts {token.prefix}); {kept}. "
            "It is stored hashed and cannot be shown again: copy it now."
        )
        return key
