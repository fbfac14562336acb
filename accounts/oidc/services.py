"""An account for a verified sign-on, and its roles and precinct brought in line with the claims.

The provider is the source of truth for the roles it may give (Clerk, Supervisor, Admin; the
Fax gateway group is left alone): at every sign-in the account's role groups, a clerk's precinct
and staff status are set from the claims, whatever an admin changed by hand in between.

A person whose claims give no role any more is refused, and the account keeps no role: it stays
active (its history in the audit still names it, and an admin still finds it in the user list),
but with no role group it opens no page and no API endpoint, in this browser or any other session
it still has, since roles are read from the groups at every request (accounts.access.roles_of).
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.access import Role
from accounts.models import SignInEvent, User
from accounts.oidc.claims import (
    precinct_code_from_claims,
    profile_from_claims,
    roles_from_claims,
    username_from_claims,
)
from accounts.signin_audit import METHOD_SSO, signin_event_record
from precincts.models import Precinct

# The roles sign-on gives and takes away; any other group an account is in stays as it is.
SSO_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)


def sso_account_sign_in(*, claims: Mapping[str, Any], address: str = "") -> User:
    """The account for these verified claims, created at the first sign-in, with the roles and
    precinct they give now. ValidationError (a message for the person) when they give no access;
    the account's roles are taken away first, and the sign-in record has both."""
    roles = roles_from_claims(claims)
    precinct, precinct_refusal = _precinct_for(roles, claims)
    if precinct_refusal:
        roles -= {Role.CLERK}
    try:
        user = _account_aligned(claims=claims, roles=roles, precinct=precinct, address=address)
    except ValidationError as refusal:
        detail = _refusal_detail(refusal)
        if refusal.code == "name_taken":
            # What an admin copies into the existing account's subject to link it.
            detail = f"{detail}; subject {claims['sub']}"
        _record(SignInEvent.Kind.SIGN_IN_FAILED, None, claims, address, detail)
        raise
    if roles:
        return user
    refusal = precinct_refusal or ValidationError(
        f"You signed in at {settings.OIDC_NAME}, but your account there is in no group that may "
        "use Detainer Desk, so you have no access here. If your work needs it, ask the city's IT "
        "service desk to add you to the right group.",
        code="no_role",
    )
    _record(SignInEvent.Kind.SIGN_IN_FAILED, user, claims, address, _refusal_detail(refusal))
    raise refusal


def _account_aligned(*, claims, roles: frozenset[Role], precinct, address: str) -> User | None:
    """The account by its subject (made when the claims give a role), aligned with the claims; a
    change of roles is recorded in the same transaction. None: no account, and none made."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(sso_subject=claims["sub"]).first()
        if user is None:
            if not roles:
                return None
            user = _account_create(claims=claims)
        before = _standing(user)
        _account_align(user=user, claims=claims, roles=roles, precinct=precinct)
        after = _standing(user)
        if after != before:
            _record(SignInEvent.Kind.ROLE_CHANGED, user, claims, address, f"{before} -> {after}")
    return user


def _precinct_for(roles, claims) -> tuple[Precinct | None, ValidationError | None]:
    """A clerk's precinct from the precinct claim; without a known code the Clerk role is not given."""
    if Role.CLERK not in roles:
        return None, None
    code = precinct_code_from_claims(claims)
    precinct = Precinct.objects.filter(code__iexact=code).first() if code else None
    if precinct is not None:
        return precinct, None
    said = (
        f"says your precinct is “{code}”, which Detainer Desk does not know"
        if code
        else ("does not say which precinct you work at")
    )
    return None, ValidationError(
        f"Your account at {settings.OIDC_NAME} {said}, so you cannot log faxes here. Ask the "
        "city's IT service desk to correct your precinct, then sign in again.",
        code="unknown_precinct",
    )


def _account_create(*, claims: Mapping[str, Any]) -> User:
    username = username_from_claims(claims)
    if User.objects.filter(username__iexact=username).exists():
        # Never taken over by name: the provider may let people choose theirs. An admin links the
        # existing account by filling in its single sign-on subject.
        raise ValidationError(
            "An account with your user name already exists in Detainer Desk but is not linked to "
            f"your {settings.OIDC_NAME} sign-in. Ask an administrator to link it.",
            code="name_taken",
        )
    user = User(username=username, sso_subject=claims["sub"])
    user.set_unusable_password()  # sign-on accounts have no password to guess or to reset
    user.save()
    return user


def _account_align(*, user: User, claims, roles: frozenset[Role], precinct: Precinct | None):
    for field, value in profile_from_claims(claims).items():
        setattr(user, field, value)
    user.precinct = precinct if Role.CLERK in roles else None
    user.is_staff = Role.ADMIN in roles  # the admin site is for the Admin role alone
    user.is_superuser = (
        False  # sign-on gives roles, never superuser (break-glass accounts are local)
    )
    user.save()
    managed = Group.objects.filter(name__in=[role.value for role in SSO_ROLES])
    user.groups.remove(*[group for group in managed if group.name not in roles])
    user.groups.add(*[group for group in managed if group.name in roles])
    user._roles = None  # accounts.access caches the roles on the instance


def _standing(user: User) -> str:
    """`Clerk (B-3)`, `Admin, Supervisor`, `none`: roles as the record shows them."""
    names = sorted(
        name
        for name in user.groups.values_list("name", flat=True)
        if name in {role.value for role in SSO_ROLES}
    )
    if user.is_superuser:
        names.append("superuser")
    shown = [
        f"{name} ({user.precinct.code})" if name == Role.CLERK and user.precinct else name
        for name in names
    ]
    return ", ".join(shown) or "none"


def _refusal_detail(refusal: ValidationError) -> str:
    return {
        "no_role": "single sign-on: the claims give no role",
        "unknown_precinct": "single sign-on: unknown or missing precinct code",
        "name_taken": "single sign-on: user name taken by an unlinked account",
    }.get(refusal.code, "single sign-on refused")


def _record(kind: str, user: User | None, claims, address: str, detail: str) -> None:
    signin_event_record(
        kind=kind,
        user=user,
        username="" if user is not None else username_from_claims(claims),
        address=address,
        method=METHOD_SSO,
        detail=detail,
    )
