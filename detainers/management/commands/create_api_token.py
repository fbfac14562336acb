"""Print a user's API token, creating it if needed (CONTRACT.md).

The token alone goes to standard output, on the last line, so a script can take it with
`TOKEN=$(python manage.py create_api_token fax-gateway)`; what happened is said on standard error.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Print USERNAME's API token (for `Authorization: Token <key>`), creating it if needed."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The account, e.g. fax-gateway.")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"There is no user {username!r}. Create the account in /admin/ first "
                "(or run `python manage.py seed_demo` for the demo accounts)."
            )
        if not user.is_active:
            raise CommandError(
                f"The user {username!r} is inactive, so a token would not work. "
                "Activate the account in /admin/ first."
            )
        token, created = Token.objects.get_or_create(user=user)
        if created:
            logger.info("API token created for user %s", user.pk)
        self.stderr.write(f"{'New' if created else 'Existing'} API token for {username}:")
        self.stdout.write(token.key)
