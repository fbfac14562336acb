"""`python manage.py create_api_token USERNAME`: a new token, last and alone on standard output.

Keys are stored hashed, so an existing token cannot be printed again: every run makes a new one,
and the user's other tokens keep working until revoked (`--revoke-others`, `--revoke`, /admin/).
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tokens import api_token_digest
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"


def create_api_token(username: str, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", username, *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def status_with(client, key: str) -> int:
    return client.get(REQUESTS, HTTP_AUTHORIZATION=f"Token {key}").status_code


def test_it_creates_a_token_and_prints_it_last_and_alone(gateway):
    out, err = create_api_token("fax-gateway")

    key = out.splitlines()[-1]
    token = ApiToken.objects.get(user=gateway)
    assert token.digest == api_token_digest(key=key)
    assert out == f"{key}\n"  # nothing else on stdout: TOKEN=$(... create_api_token ...)
    assert "New API token for fax-gateway" in err
    assert key not in err  # stderr may be kept in a terminal log; the key goes to stdout only


def test_it_prints_a_token_that_lets_the_gateway_in(gateway, client):
    out, _ = create_api_token("fax-gateway")

    assert status_with(client, out.splitlines()[-1]) == 200


def test_it_makes_a_new_token_each_time_and_keeps_the_old_one(gateway, client):
    first, _ = create_api_token("fax-gateway")
    again, err = create_api_token("fax-gateway")

    assert again != first
    assert ApiToken.objects.filter(user=gateway).count() == 2
    # The gateway configured with the first key is not cut off by a second run.
    assert status_with(client, first.strip()) == 200
    assert status_with(client, again.strip()) == 200
    assert "1 other token(s) keep working until revoked" in err


def test_it_revokes_the_others_when_asked(gateway, client):
    old, _ = create_api_token("fax-gateway")

    new, err = create_api_token("fax-gateway", "--revoke-others")

    assert status_with(client, new.strip()) == 200
    assert status_with(client, old.strip()) == 401
    assert "its 1 other token(s) are revoked" in err


def test_it_only_revokes_with_revoke(gateway, client):
    old, _ = create_api_token("fax-gateway")
    assert status_with(client, old.strip()) == 200

    out, err = create_api_token("fax-gateway", "--revoke")

    assert out == ""
    assert "Revoked 1 API token(s) of fax-gateway; none made." in err
    assert status_with(client, old.strip()) == 401
    assert ApiToken.objects.filter(user=gateway).count() == 1  # revoked, still listed


def test_it_sets_an_expiry_when_asked(gateway):
    before = timezone.now()

    out, err = create_api_token("fax-gateway", "--expires-in", "30")

    token = ApiToken.objects.get(digest=api_token_digest(key=out.strip()))
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    assert "valid until" in err


def test_it_refuses_an_expiry_of_no_days(gateway):
    with pytest.raises(CommandError, match="1 or more"):
        create_api_token("fax-gateway", "--expires-in", "0")
    assert not ApiToken.objects.exists()


def test_an_unknown_user_is_a_clear_error(db):
    with pytest.raises(CommandError, match="There is no user 'nobody-here'"):
        create_api_token("nobody-here")
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token(db):
    user = make_user("retired-gateway", None)
    user.is_active = False
    user.save(update_fields=["is_active"])

    with pytest.raises(CommandError, match="inactive"):
        create_api_token("retired-gateway")
    assert not ApiToken.objects.exists()
