"""What a verified set of claims says about a person: roles, precinct code, user name and names.

Read only after accounts.oidc.provider verified the ID token. Settings name the claims
(OIDC_ROLE_CLAIM, OIDC_PRECINCT_CLAIM) and map the provider's groups to our roles (OIDC_ROLE_MAP).
"""

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from accounts.access import Role

USERNAME_LENGTH = 150


def claim_value(claims: Mapping[str, Any], name: str) -> Any:
    """The claim called `name`; failing that, a dotted path into nested claims (Keycloak's
    `realm_access.roles`). The exact name comes first because namespaced claims hold dots
    (`https://example.org/groups`)."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def groups_in_claims(claims: Mapping[str, Any]) -> list[str]:
    value = claim_value(claims, settings.OIDC_ROLE_CLAIM)
    if isinstance(value, str):  # some providers send a single group as a string
        return [value]
    if isinstance(value, list):
        return [group for group in value if isinstance(group, str)]
    return []


def roles_from_claims(claims: Mapping[str, Any]) -> frozenset[Role]:
    return frozenset(
        Role(role)
        for group in groups_in_claims(claims)
        for role in settings.OIDC_ROLE_MAP.get(group, ())
    )


def precinct_code_from_claims(claims: Mapping[str, Any]) -> str:
    value = claim_value(claims, settings.OIDC_PRECINCT_CLAIM)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value.strip()[:20] if isinstance(value, str) else ""


def username_from_claims(claims: Mapping[str, Any]) -> str:
    """The name a new account gets: preferred_username, else email, else one made of `sub`.

    Only a label: the account is found by `sub` (User.sso_subject), never by this name. Characters
    Django's user names do not allow (a domain's backslash, spaces) become hyphens.
    """
    for name in ("preferred_username", "email"):
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return re.sub(r"[^\w.@+-]", "-", value.strip())[:USERNAME_LENGTH]
    return f"sso-{claims['sub']}"[:USERNAME_LENGTH]


def profile_from_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """First and last name and email, as the provider has them now (empty when it says nothing)."""

    def text(name: str, length: int) -> str:
        value = claims.get(name)
        return value.strip()[:length] if isinstance(value, str) else ""

    return {
        "first_name": text("given_name", 150),
        "last_name": text("family_name", 150),
        "email": text("email", 254),
    }
