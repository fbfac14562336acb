"""Session limits on every request (rules in accounts.session_limits).

A signed-in session past its idle or absolute limit is ended before the view runs, so the view
sees an anonymous visitor: pages send them to the login page, which says why; the API answers 401.
Every other request of the session counts as activity, except the page's own look at the time
left (GET of the `session` endpoint), which would otherwise keep an idle tab alive for ever.
"""

from django.conf import settings
from django.contrib import messages
from django.urls import reverse

from accounts import session_limits as limits

SIGNED_OUT = {
    limits.IDLE: "You were signed out after {idle} without activity. Sign in again.",
    limits.ABSOLUTE: "You were signed out {absolute} after signing in. Sign in again.",
}


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.status_path = None

    def __call__(self, request):
        session = request.session
        if limits.session_is_signed_in(session=session):
            now = limits.now_seconds()
            reason = limits.session_expiry(session=session, now=now)
            if reason is not None:
                limits.session_end_expired(request=request, reason=reason)
                messages.info(request, self._signed_out_message(reason))
            elif not self._is_a_look_at_the_time_left(request):
                limits.session_touch(session=session, now=now)
        return self.get_response(request)

    def _is_a_look_at_the_time_left(self, request) -> bool:
        if self.status_path is None:
            self.status_path = reverse("session")
        return request.method in ("GET", "HEAD") and request.path_info == self.status_path

    @staticmethod
    def _signed_out_message(reason: str) -> str:
        return SIGNED_OUT[reason].format(
            idle=limits.duration_words(settings.SESSION_IDLE_SECONDS),
            absolute=limits.duration_words(settings.SESSION_ABSOLUTE_SECONDS),
        )
