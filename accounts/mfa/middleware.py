"""Until the second factor is given, a session reaches only the MFA pages, the session's own
time-left endpoint and logout. Pages are sent to the code page (which sends a person without an
app to enrolment); the API answers 403. A request with `Authorization: Token` is left to the
token (DRF reads it and never falls back to the session), since machines have no second factor.
accounts.access.role_required and accounts.authentication.VerifiedSessionAuthentication check the
same again, so a view that somehow escapes this list is still shut.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.mfa.policy import mfa_pending

OPEN_BEFORE_SECOND_FACTOR = {
    "mfa-verify",
    "mfa-enrol",
    "logout",
    "admin:logout",
    "session",
    "healthz",
}
API_REFUSAL = (
    "Finish signing in first: enter the code from your authenticator app at /accounts/mfa/."
)


def second_factor_redirect(request):
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('mfa-verify')}?{query}")


def _uses_a_token(request) -> bool:
    scheme = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0]
    return scheme.lower() == "token"


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.MFA_REQUIRED or _uses_a_token(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if not mfa_pending(request):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": API_REFUSAL}, status=403)
        return second_factor_redirect(request)
