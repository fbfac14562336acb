from django.conf import settings

from accounts import session_limits as limits
from accounts.access import Role, roles_of
from accounts.mfa.policy import mfa_pending


def roles(request):
    """Navigation by role: templates test `nav.supervisor` and the like."""
    held = roles_of(getattr(request, "user", None))
    if held and mfa_pending(request):
        held = frozenset()  # no links to pages the session cannot open yet
    return {
        "nav": {
            "clerk": Role.CLERK in held,
            "supervisor": Role.SUPERVISOR in held,
            "admin": Role.ADMIN in held,
        }
    }


def session_limits(request):
    """Seconds until the session ends, for the page's warning (static/js/session.js)."""
    session = getattr(request, "session", None)
    if session is None or not limits.session_is_signed_in(session=session):
        return {}
    seconds = limits.session_seconds_left(session=session, now=limits.now_seconds())
    return {
        "session_limits": {
            **seconds,
            "warning_seconds": settings.SESSION_WARNING_SECONDS,
            "absolute_limit": limits.duration_words(settings.SESSION_ABSOLUTE_SECONDS),
        },
    }
