"""Until the second factor is given, a password's session opens nothing but the MFA pages and
logout; API tokens are machine access and are not asked."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY

from accounts.mfa.policy import mfa_required_for

from ..conftest import api_client_for
from .second_factor import VERIFY, enrolled

pytestmark = pytest.mark.django_db

GATE = "accounts.mfa.middleware.SecondFactorMiddleware"


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.MFA_REQUIRED = True


@pytest.fixture
def owing(client, supervisor):
    """A supervisor's session after the password, before the code."""
    enrolled(supervisor)
    client.force_login(supervisor, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("url", ["/", "/inbox/", "/dashboard/", "/reports/"])
def test_pages_send_the_session_to_the_code_page(owing, url):
    response = owing.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{VERIFY}?next=")


def test_the_admin_site_too(client, admin_user):
    enrolled(admin_user)
    client.force_login(admin_user)
    response = client.get("/admin/accounts/signinevent/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_the_api_refuses_the_session(owing):
    response = owing.get("/api/v1/stats/yearly/")
    assert response.status_code == 403
    assert "Finish signing in" in response.json()["detail"]


def test_a_token_of_the_same_person_is_not_asked(supervisor):
    enrolled(supervisor)
    response = api_client_for(supervisor, token=True).get("/api/v1/stats/yearly/")
    assert response.status_code == 200


def test_the_code_page_logout_and_session_endpoint_stay_open(owing):
    assert owing.get(VERIFY).status_code == 200
    assert owing.get("/accounts/session/").status_code == 200
    assert owing.post("/accounts/logout/")["Location"] == "/accounts/login/"
    assert owing.get("/inbox/")["Location"].startswith("/accounts/login/")


def test_the_code_page_links_to_no_page_the_session_cannot_open(owing):
    page = owing.get(VERIFY).content.decode()
    assert "Enter your code" in page
    assert 'href="/inbox/"' not in page


def test_role_required_and_the_api_refuse_it_without_the_middleware(owing, settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != GATE]
    page = owing.get("/inbox/")
    assert page.status_code == 302
    assert page["Location"].startswith(f"{VERIFY}?next=")
    api = owing.get("/api/v1/stats/yearly/")
    assert api.status_code == 403
    assert "Finish signing in" in api.json()["detail"]


def test_it_is_not_asked_of_single_sign_on_sessions(supervisor):
    assert mfa_required_for(user=supervisor, backend="django.contrib.auth.backends.ModelBackend")
    assert not mfa_required_for(user=supervisor, backend="accounts.oidc.backend.OidcBackend")
    # Any other backend counts as a password: when in doubt, ask.
    assert mfa_required_for(user=supervisor, backend="axes.backends.AxesStandaloneBackend")


def test_nor_of_people_without_a_supervisor_or_admin_role(gateway, nobody, clerk):
    password = "django.contrib.auth.backends.ModelBackend"
    assert not any(
        mfa_required_for(user=user, backend=password) for user in (gateway, nobody, clerk)
    )


def test_a_session_that_gave_its_code_goes_where_it_asked(owing, supervisor):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = owing.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=supervisor).persistent_id
    session.save()
    assert owing.session[BACKEND_SESSION_KEY].endswith("ModelBackend")
    assert owing.get("/inbox/").status_code == 200
    assert owing.get("/api/v1/stats/yearly/").status_code == 200
