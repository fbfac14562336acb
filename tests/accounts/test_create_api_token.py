"""`python manage.py create_api_token USERNAME`: the token, last and alone on its line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def create_api_token(username: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", username, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_creates_a_token_and_prints_it_last_and_alone(gateway):
    out, err = create_api_token("fax-gateway")

    token = Token.objects.get(user=gateway)
    assert out.splitlines()[-1] == token.key
    assert out == f"{token.key}\n"  # nothing else on stdout: TOKEN=$(... create_api_token ...)
    assert "New API token for fax-gateway" in err


def test_it_prints_the_same_token_again(gateway):
    first, _ = create_api_token("fax-gateway")
    again, err = create_api_token("fax-gateway")

    assert again == first
    assert Token.objects.filter(user=gateway).count() == 1
    assert "Existing" in err


def test_the_token_it_prints_lets_the_gateway_in(gateway, client):
    out, _ = create_api_token("fax-gateway")
    key = out.splitlines()[-1]

    response = client.get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_an_unknown_user_is_a_clear_error(db):
    with pytest.raises(CommandError, match="There is no user 'nobody-here'"):
        create_api_token("nobody-here")
    assert not Token.objects.exists()


def test_an_inactive_user_gets_no_token(db):
    user = make_user("retired-gateway", None)
    user.is_active = False
    user.save(update_fields=["is_active"])

    with pytest.raises(CommandError, match="inactive"):
        create_api_token("retired-gateway")
    assert not Token.objects.exists()
