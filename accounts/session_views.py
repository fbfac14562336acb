"""The session's time left, for the page's warning (static/js/session.js).

Who: any signed-in person, also before their second factor (the MFA pages warn too); anonymous:
401. GET only looks (SessionLimitsMiddleware does not count it as activity); POST is "stay signed
in", which the middleware has already counted. Nothing about the person is in the answer.
"""

from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from accounts import session_limits as limits


@require_http_methods(["GET", "POST"])
def session_status(request):
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Signed out."}, status=401)
    if request.method == "POST":
        limits.session_touch(session=request.session, now=limits.now_seconds(), force=True)
    return JsonResponse(
        limits.session_seconds_left(session=request.session, now=limits.now_seconds())
    )
