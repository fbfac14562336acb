"""Single sign-on's settings fail closed: a role map we cannot read, a client without its secret,
plain HTTP in production, or LOCAL_LOGIN off with nothing to sign in with stop the start-up and
say what to set. Each case loads config/settings.py in a fresh process (tests/project/test_settings.py)."""

import pytest

from accounts.access import Role
from tests.project.test_settings import PRODUCTION, refusal, settings_under

SSO = {
    **PRODUCTION,
    "OIDC_ISSUER": "https://login.city.example.gov/realms/city/",
    "OIDC_CLIENT_ID": "detainer-desk",
    "OIDC_CLIENT_SECRET": "s3cret-from-the-provider",
    "OIDC_ROLE_MAP": "detainer-clerks=Clerk, detainer-supervisors=supervisor,detainer-admins=Admin",
}


def test_it_reads_the_sign_on_settings():
    read = settings_under(
        {**SSO, "LOCAL_LOGIN": "off"},
        "OIDC_ISSUER",
        "OIDC_NAME",
        "OIDC_ROLE_CLAIM",
        "OIDC_PRECINCT_CLAIM",
        "OIDC_ROLE_MAP",
        "LOCAL_LOGIN",
        "CONTENT_SECURITY_POLICY",
    )

    assert read["OIDC_ISSUER"] == "https://login.city.example.gov/realms/city"
    assert (read["OIDC_NAME"], read["OIDC_ROLE_CLAIM"], read["OIDC_PRECINCT_CLAIM"]) == (
        "your organisation",
        "groups",
        "precinct",
    )
    assert read["OIDC_ROLE_MAP"] == {
        "detainer-clerks": ["Clerk"],
        "detainer-supervisors": ["Supervisor"],
        "detainer-admins": ["Admin"],
    }
    assert read["LOCAL_LOGIN"] is False
    form_action = read["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"]
    assert form_action == ["'self'", "https://login.city.example.gov"]


def test_without_an_issuer_nothing_changes():
    read = settings_under({"DJANGO_DEBUG": "True"}, "OIDC_ISSUER", "LOCAL_LOGIN", "OIDC_ROLE_MAP")

    assert read == {"OIDC_ISSUER": "", "LOCAL_LOGIN": True, "OIDC_ROLE_MAP": {}}


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        pytest.param(
            {**SSO, "OIDC_ROLE_MAP": "detainer-clerks=Janitor"}, "OIDC_ROLE_MAP", id="role"
        ),
        pytest.param({**SSO, "OIDC_ROLE_MAP": "detainer-clerks"}, "group=Role", id="no role"),
        pytest.param({**SSO, "OIDC_ROLE_MAP": ""}, "OIDC_ROLE_MAP", id="empty map"),
        pytest.param({**SSO, "OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET", id="no secret"),
        pytest.param(
            {**SSO, "OIDC_ISSUER": "http://login.city.example.gov"}, "https://", id="plain http"
        ),
        pytest.param({**PRODUCTION, "LOCAL_LOGIN": "off"}, "OIDC_ISSUER", id="nothing to sign in"),
        pytest.param({**SSO, "LOCAL_LOGIN": "sometimes"}, "LOCAL_LOGIN", id="local login word"),
    ],
)
def test_it_refuses_to_start_and_names_what_to_set(environment, named):
    assert named in refusal(environment)


def test_the_roles_settings_may_map_to_are_the_peoples_roles():
    from django.conf import settings

    assert set(settings.OIDC_ROLES) == {Role.CLERK, Role.SUPERVISOR, Role.ADMIN}
