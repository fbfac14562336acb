"""Who may use single sign-on's endpoints while it is on: anyone, as the login page (the access
table, tests/accounts/test_access_table.py, has them answering 404 while it is off). A callback
this browser did not start signs nobody in, and signs nobody out: a link or an image from another
site pointing at it must not end a person's session."""

import pytest
from django.contrib.auth import get_user

PEOPLE = ["anonymous", "clerk", "other_precinct_clerk", "supervisor", "admin", "gateway", "nobody"]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", PEOPLE)
def test_anyone_may_start_a_sign_in(page_as, people, sso_settings, who):
    client = page_as("anonymous" if who == "gateway" else who)

    response = client.get("/oidc/start/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{sso_settings.issuer}/oauth2/authorize?")


@pytest.mark.parametrize("who", PEOPLE)
def test_a_callback_not_started_here_changes_nobodys_session(page_as, people, sso_settings, who):
    client = page_as("anonymous" if who == "gateway" else who)
    before = get_user(client)

    response = client.get("/oidc/callback/?code=a-code&state=from-another-site")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert get_user(client).pk == before.pk


@pytest.mark.parametrize("url", ["/oidc/start/", "/oidc/callback/"])
def test_they_take_no_post(client, sso_settings, url):
    assert client.post(url).status_code == 405
