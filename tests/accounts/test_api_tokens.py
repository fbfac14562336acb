"""API tokens are stored hashed and shown once; `Authorization: Token <key>` keeps working.

Who: the gateway (an integration account) uses a key; an admin makes and revokes tokens in /admin/
and never reads a key there after the page that made it.
"""

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.access import Role
from accounts.models import ApiToken
from accounts.tokens import (
    api_token_create,
    api_token_digest,
    api_token_used,
    api_tokens_of,
    api_tokens_revoke,
)

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"
TOKENS = "/admin/accounts/apitoken/"
SHOWN_KEY = re.compile(r'<code class="api-token-key">([0-9a-f]{64})</code>')
migration = importlib.import_module("accounts.migrations.0006_api_tokens_from_drf")


def call_with(client, key: str):
    return client.get(REQUESTS, HTTP_AUTHORIZATION=f"Token {key}")


# --- Stored hashed -----------------------------------------------------------------------------


def test_it_stores_the_digest_and_a_prefix_never_the_key(gateway):
    token, key = api_token_create(user=gateway)

    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["digest"] == api_token_digest(key=key)
    assert stored["prefix"] == key[:8]
    assert len(key) == 64
    assert not any(key in str(value) for value in stored.values())
    assert key not in str(token)


# --- Authorization: Token <key> ----------------------------------------------------------------


def test_it_lets_the_key_in_and_notes_when(gateway, client):
    token, key = api_token_create(user=gateway)
    assert token.last_used is None

    assert call_with(client, key).status_code == 200

    token.refresh_from_db()
    assert token.last_used is not None


def test_it_refuses_a_wrong_key_with_401_and_www_authenticate(gateway, client):
    _, key = api_token_create(user=gateway)
    assert call_with(client, key).status_code == 200

    # Same prefix, one character off: the lookup is by the whole key's digest.
    wrong = key[:-1] + ("0" if key[-1] != "0" else "1")
    response = call_with(client, wrong)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] == "Invalid token."


def test_it_answers_anonymous_with_401_and_www_authenticate(client, gateway):
    response = client.get(REQUESTS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_refuses_an_expired_key(gateway, client):
    token, key = api_token_create(user=gateway, expires_at=timezone.now() + timedelta(hours=1))
    assert call_with(client, key).status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = call_with(client, key)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_it_refuses_a_revoked_key(gateway, client):
    token, key = api_token_create(user=gateway)
    assert call_with(client, key).status_code == 200

    assert api_tokens_revoke(tokens=api_tokens_of(user=gateway)) == 1
    response = call_with(client, key)

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_it_refuses_the_key_of_an_inactive_user(gateway, client):
    _, key = api_token_create(user=gateway)
    assert call_with(client, key).status_code == 200

    gateway.is_active = False
    gateway.save(update_fields=["is_active"])

    assert call_with(client, key).status_code == 401


def test_it_notes_use_at_most_once_a_minute(gateway, django_assert_num_queries):
    token, _ = api_token_create(user=gateway)
    first = timezone.now()
    stale_copy = ApiToken.objects.get(pk=token.pk)  # another worker's, read before the first use

    api_token_used(token=token, at=first)
    # The other worker's copy still says "never used": the UPDATE's own condition stops it.
    api_token_used(token=stale_copy, at=first + timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used == first

    # A fresh copy used within the minute asks nothing of the database.
    with django_assert_num_queries(0):
        api_token_used(token=token, at=first + timedelta(seconds=59))

    api_token_used(token=token, at=first + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used == first + timedelta(seconds=61)


# --- The admin: shown once, then only the prefix -------------------------------------------------


def test_it_shows_a_new_key_once_after_adding_it_in_the_admin(page_as, gateway, client):
    admin = page_as("admin")

    response = admin.post(
        f"{TOKENS}add/", {"user": gateway.pk, "expires_at_0": "", "expires_at_1": ""}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = SHOWN_KEY.search(response.content.decode()).group(1)
    token = ApiToken.objects.get(user=gateway)
    assert token.digest == api_token_digest(key=key)
    assert call_with(client, key).status_code == 200

    for page in (TOKENS, f"{TOKENS}{token.pk}/change/", f"{TOKENS}{token.pk}/history/"):
        shown = admin.get(page)
        assert shown.status_code == 200, page
        assert token.prefix in shown.content.decode(), page
        assert key not in shown.content.decode(), page


def test_it_never_shows_a_key_in_the_admin_list_or_change_page(page_as, supervisor, gateway):
    token, key = api_token_create(user=supervisor)
    admin = page_as("admin")

    listed = admin.get(TOKENS)
    changed = admin.get(f"{TOKENS}{token.pk}/change/")

    for response in (listed, changed):
        assert response.status_code == 200
        page = response.content.decode()
        assert token.prefix in page
        assert "supervisor" in page
        assert key not in page


def test_it_lets_an_admin_make_tokens_only_for_integration_accounts_and_themself(
    page_as, supervisor, gateway, admin_user
):
    admin = page_as("admin")

    form = admin.get(f"{TOKENS}add/").content.decode()
    refused = admin.post(f"{TOKENS}add/", {"user": supervisor.pk})

    assert f'<option value="{gateway.pk}">fax-gateway</option>' in form
    assert f'<option value="{admin_user.pk}">admin</option>' in form
    assert f'<option value="{supervisor.pk}">' not in form
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert not ApiToken.objects.exists()


def test_it_revokes_from_the_admin(page_as, gateway, client):
    token, key = api_token_create(user=gateway)
    assert call_with(client, key).status_code == 200

    response = page_as("admin").post(
        TOKENS, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "Revoked 1 token(s)." in response.content.decode()
    assert call_with(client, key).status_code == 401


def test_it_no_longer_serves_drf_s_token_admin(page_as):
    admin = page_as("admin")
    assert admin.get(TOKENS).status_code == 200

    assert admin.get("/admin/authtoken/tokenproxy/").status_code == 404


# --- DRF's tokens from before -------------------------------------------------------------------


def test_it_hashes_an_old_drf_token_so_its_key_still_works(gateway, client):
    old = Token.objects.create(user=gateway)
    # The new authentication never reads DRF's table: before the migration, the old key is refused.
    assert call_with(client, old.key).status_code == 401

    migration.api_tokens_from_drf(apps, None)

    assert call_with(client, old.key).status_code == 200
    token = ApiToken.objects.get(user=gateway)
    assert (token.prefix, token.created) == (old.key[:8], old.created)
    assert not Token.objects.exists()  # the clear keys are gone


def test_it_hashes_old_drf_tokens_once_if_run_again(gateway):
    key = Token.objects.create(user=gateway).key
    migration.api_tokens_from_drf(apps, None)
    Token.objects.create(user=gateway, key=key)

    migration.api_tokens_from_drf(apps, None)

    assert ApiToken.objects.filter(digest=api_token_digest(key=key)).count() == 1
    assert not Token.objects.exists()


def test_it_takes_drf_s_token_permissions_from_admins(db):
    admin = Group.objects.get(name=Role.ADMIN.value)
    drf = Permission.objects.filter(content_type__app_label="authtoken")
    admin.permissions.add(*drf)
    assert admin.permissions.filter(content_type__app_label="authtoken").exists()

    migration.admins_lose_drf_token_permissions(apps, None)

    assert not admin.permissions.filter(content_type__app_label="authtoken").exists()
    assert admin.permissions.filter(codename="add_apitoken").exists()
