"""How long a session lasts: SESSION_IDLE_SECONDS without a request, SESSION_ABSOLUTE_SECONDS at most.

The session holds two moments (Unix seconds): when its person signed in and when they were last
seen. accounts.middleware.SessionLimitsMiddleware asks `session_expiry` on every request of a
signed-in session and, when a limit has passed, `session_end_expired` ends it and records why.
The page's warning (static/js/session.js) only tells the person; nothing here trusts the browser.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser

from accounts.models import SignInEvent
from accounts.signin_audit import signin_address, signin_event_record

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
IDLE = "idle"
ABSOLUTE = "absolute"


def now_seconds() -> float:
    return time.time()


def duration_words(seconds: int) -> str:
    """30 minutes, 12 hours, 45 seconds: for the person reading why they were signed out."""
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _touch_every() -> float:
    """Last-seen is written at most this often, so a run of requests costs one session write and
    not one each; the page is told the true deadline, so it never warns late for it."""
    return min(60, settings.SESSION_IDLE_SECONDS // 10)


def session_is_signed_in(*, session) -> bool:
    return SESSION_KEY in session


def session_limits_start(*, session, now: float) -> None:
    """At sign-in: the absolute limit counts from here."""
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now


def session_expiry(*, session, now: float) -> str | None:
    """IDLE or ABSOLUTE when that limit has passed; None while the session may go on."""
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    if signed_in_at is None or last_seen is None:
        return None  # a session from before these limits: session_touch starts its clock
    if now - signed_in_at >= settings.SESSION_ABSOLUTE_SECONDS:
        return ABSOLUTE
    if now - last_seen >= settings.SESSION_IDLE_SECONDS:
        return IDLE
    return None


def session_touch(*, session, now: float, force: bool = False) -> None:
    """A request of this session's person: the idle time starts again."""
    if SIGNED_IN_AT not in session:
        session_limits_start(session=session, now=now)
        return
    if force or now - session.get(LAST_SEEN, 0) >= _touch_every():
        session[LAST_SEEN] = now


def session_seconds_left(*, session, now: float) -> dict[str, int]:
    """What the page's warning counts down from: seconds until each limit ends the session."""
    signed_in_at = session.get(SIGNED_IN_AT, now)
    last_seen = session.get(LAST_SEEN, now)
    return {
        "idle_seconds_left": max(0, int(last_seen + settings.SESSION_IDLE_SECONDS - now)),
        "absolute_seconds_left": max(
            0, int(signed_in_at + settings.SESSION_ABSOLUTE_SECONDS - now)
        ),
    }


def session_end_expired(*, request, reason: str) -> None:
    """End the session that passed a limit, and record it (not as a sign-out: nobody chose it).

    Flushed rather than logout(): logout's signal would record a sign-out the person never made."""
    if reason == IDLE:
        detail = f"no activity for {duration_words(settings.SESSION_IDLE_SECONDS)}"
    else:
        detail = f"{duration_words(settings.SESSION_ABSOLUTE_SECONDS)} after signing in"
    signin_event_record(
        kind=SignInEvent.Kind.SESSION_EXPIRED,
        user=request.user,
        address=signin_address(request),
        detail=detail,
    )
    request.session.flush()
    request.user = AnonymousUser()
