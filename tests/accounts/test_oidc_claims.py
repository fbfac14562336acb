"""How claims are read: the role claim by name or by a dotted path (Keycloak's realm roles), one
group sent as a string, the role map, a precinct code, and the user name a new account gets."""

from accounts.access import Role
from accounts.oidc.claims import precinct_code_from_claims, roles_from_claims, username_from_claims

MAP = {"clerks": ("Clerk",), "leads": ("Supervisor", "Admin")}


def test_it_maps_groups_to_roles_and_ignores_the_rest(settings):
    settings.OIDC_ROLE_MAP = MAP

    assert roles_from_claims({"groups": ["clerks", "leads", "parks"]}) == {
        Role.CLERK,
        Role.SUPERVISOR,
        Role.ADMIN,
    }
    assert roles_from_claims({"groups": ["parks"]}) == frozenset()
    assert roles_from_claims({"groups": "clerks"}) == {Role.CLERK}
    assert roles_from_claims({}) == frozenset()


def test_it_reads_a_nested_claim_by_its_path_and_a_dotted_name_as_it_is(settings):
    settings.OIDC_ROLE_MAP = MAP
    settings.OIDC_ROLE_CLAIM = "realm_access.roles"
    assert roles_from_claims({"realm_access": {"roles": ["leads"]}}) == {
        Role.SUPERVISOR,
        Role.ADMIN,
    }

    settings.OIDC_ROLE_CLAIM = "https://city.example.gov/groups"
    assert roles_from_claims({"https://city.example.gov/groups": ["clerks"]}) == {Role.CLERK}


def test_it_reads_a_precinct_code(settings):
    settings.OIDC_PRECINCT_CLAIM = "precinct"

    assert precinct_code_from_claims({"precinct": " B-3 "}) == "B-3"
    assert precinct_code_from_claims({"precinct": ["C-11"]}) == "C-11"
    assert precinct_code_from_claims({"precinct": 3}) == ""
    assert precinct_code_from_claims({}) == ""


def test_a_new_accounts_name_is_the_preferred_one_made_fit_for_a_user_name():
    assert username_from_claims({"sub": "x", "preferred_username": "CITY\\ana reyes"}) == (
        "CITY-ana-reyes"
    )
    assert username_from_claims({"sub": "x", "email": "ana@city.example.gov"}) == (
        "ana@city.example.gov"
    )
    assert username_from_claims({"sub": "0f3c"}) == "sso-0f3c"
