"""Every sign-in, failed attempt, sign-out and lockout leaves a SignInEvent, without the password."""

import pytest

from accounts.models import SignInEvent
from accounts.signin_audit import signin_event_record

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_it_records_a_sign_in_through_the_form(client, clerk):
    response = client.post(LOGIN, {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    event = SignInEvent.objects.get(kind="sign_in")
    assert (event.user, event.username, event.method, event.address) == (
        clerk,
        "clerk",
        "password",
        "127.0.0.1",
    )


def test_it_records_a_failed_attempt_with_the_typed_name_and_never_the_password(client, clerk):
    response = client.post(LOGIN, {"username": "clerk", "password": "wrong-Secret-42"})
    assert response.status_code == 200
    event = SignInEvent.objects.get()
    assert (event.kind, event.user, event.username) == ("sign_in_failed", clerk, "clerk")
    stored = " ".join(str(value) for value in SignInEvent.objects.values_list().get())
    assert "wrong-Secret-42" not in stored


def test_it_records_an_attempt_on_a_name_nobody_has_without_a_user(client, db):
    # 200: longer than the record keeps (and than any account's name: refused by the form).
    client.post(LOGIN, {"username": "x" * 200, "password": "whatever-it-is"})
    event = SignInEvent.objects.get()
    assert event.kind == "sign_in_failed"
    assert event.user is None
    assert event.username == "x" * SignInEvent.USERNAME_LENGTH


def test_it_records_a_sign_out(client, supervisor):
    client.force_login(supervisor)
    client.post("/accounts/logout/")
    assert list(SignInEvent.objects.values_list("kind", "user")) == [
        ("sign_out", supervisor.pk),
        ("sign_in", supervisor.pk),
    ]


def test_it_records_the_lockout(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "clerk", "password": "not-the-password"})
    locked = SignInEvent.objects.filter(kind="locked_out")
    assert locked.count() == 1
    assert locked.get().username == "clerk"
    assert SignInEvent.objects.filter(kind="sign_in_failed").count() == settings.AXES_FAILURE_LIMIT


def test_it_refuses_a_kind_it_does_not_know(db):
    with pytest.raises(ValueError, match="Unknown"):
        signin_event_record(kind="made_up")
    assert not SignInEvent.objects.exists()


def test_it_caps_the_detail_and_drops_an_address_that_is_not_one(clerk):
    event = signin_event_record(
        kind="mfa_reset", user=clerk, address="not an address", detail="d" * 500
    )
    event.refresh_from_db()
    assert event.address is None
    assert len(event.detail) == SignInEvent.DETAIL_LENGTH
    assert event.username == "clerk"


@pytest.mark.parametrize("url", [LOGIN, "/admin/login/"])
def test_a_user_name_longer_than_any_account_is_refused_and_recorded_without_a_500(client, db, url):
    # Once a 500 on PostgreSQL: django-axes recorded the whole name in a 255-character column.
    response = client.post(url, {"username": "x" * 300, "password": "whatever-it-is"})

    assert response.status_code == 200  # the form again, with its error
    event = SignInEvent.objects.get()
    assert (event.kind, event.username) == ("sign_in_failed", "x" * SignInEvent.USERNAME_LENGTH)
