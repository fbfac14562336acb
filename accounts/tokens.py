"""API tokens: made with a key shown once, stored as the key's SHA-256 digest, found by that digest.

A key is 32 random bytes (64 hex characters), so a fast hash is enough: there is nothing to guess
that a slow hash would protect. Looking a key up by its digest in a unique index is also what makes
the comparison safe from timing: how long the lookup takes says something about the digest, never
about the key. Keys made by DRF's authtoken before (40 hex characters) were hashed into this table
by accounts/migrations/0006, so a gateway configured with one keeps working.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.db.models import CharField, F, Func, Q, QuerySet
from django.utils import timezone

from accounts.access import Role, roles_remember
from accounts.models import ApiToken, User

logger = logging.getLogger(__name__)

KEY_BYTES = 32
# last_used is for people deciding which token to revoke; a minute is precise enough, and it spares
# a busy gateway a database write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def api_token_digest(*, key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, token: ApiToken) -> str:
    """Give an unsaved token (user and expiry set) a new key, save it and return the key.

    The key is returned once and stored nowhere: the caller shows it and lets it go.
    """
    key = secrets.token_hex(KEY_BYTES)
    token.digest = api_token_digest(key=key)
    token.prefix = key[: ApiToken.PREFIX_LENGTH]
    token.save()
    logger.info("API token %s created for user %s", token.pk, token.user_id)
    return key


def api_token_create(*, user: User, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    token = ApiToken(user=user, expires_at=expires_at)
    return token, api_token_issue(token=token)


def api_tokens_revoke(*, tokens: QuerySet[ApiToken]) -> int:
    """Revoke the tokens not revoked yet; they stay listed, with the moment, as the record."""
    revoked = tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        logger.info("%s API token(s) revoked", revoked)
    return revoked


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_tokens_usable_of(*, user: User, at: datetime | None = None) -> QuerySet[ApiToken]:
    moment = at or timezone.now()
    return api_tokens_of(user=user).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=moment), revoked_at__isnull=True
    )


def api_token_for_key(*, key: str) -> ApiToken | None:
    """The token (with its user and the user's roles) whose key this is, usable or not; None for a
    key we never made. One query: the roles are read in it (a separate one cost the gateway's
    endpoint 4 % of its time, bench/intake)."""
    token = (
        ApiToken.objects.select_related("user")
        .annotate(role_groups=_RoleGroupNames(F("user_id")))
        .filter(digest=api_token_digest(key=key))
        .first()
    )
    if token is not None:
        roles_remember(token.user, groups=set((token.role_groups or "").split(",")))
    return token


class _RoleGroupNames(Func):
    """The names of the role groups (accounts.access.Role) the user is in, joined by commas, as a
    subquery. Only role names are read, and none holds a comma, so the split is exact whatever
    other groups an admin makes."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        user_sql, user_params = compiler.compile(self.source_expressions[0])
        field = User.groups.field
        member, group = field.remote_field.through._meta.db_table, Group._meta.db_table
        joined = (
            "group_concat(g.name, ',')"
            if connection.vendor == "sqlite"
            else "string_agg(g.name, ',')"
        )
        names = ", ".join(["%s"] * len(Role))
        sql = (
            f"(SELECT {joined} FROM {group} g JOIN {member} m ON m.{field.m2m_reverse_name()} = g.id "  # noqa: S608 - names are ours
            f"WHERE m.{field.m2m_column_name()} = {user_sql} AND g.name IN ({names}))"
        )
        return sql, (*user_params, *(role.value for role in Role))


def api_token_used(*, token: ApiToken, at: datetime | None = None) -> None:
    """Note that the token was used, at most once a minute.

    Within the minute nothing is sent to the database. Otherwise the condition is repeated in the
    UPDATE itself, so many workers using one token at once still write it once.
    """
    moment = at or timezone.now()
    stale = moment - LAST_USED_PRECISION
    if token.last_used is not None and token.last_used >= stale:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used__isnull=True) | Q(last_used__lt=stale)
    ).update(last_used=moment)


def api_token_owners_for(*, admin: User) -> QuerySet[User]:
    """Whom an admin may make a token for in /admin/: integration accounts, and themselves.

    A token acts as its user, so a key for a supervisor would let whoever made it read what the
    supervisor reads, under the supervisor's name in the audit. A person's own token for scripting
    is made on the server (create_api_token), where the one who runs it is answerable for it.
    """
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=Role.GATEWAY.value) | Q(pk=admin.pk))
        .distinct()
        .order_by("username")
    )
