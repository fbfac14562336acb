"""Single sign-on's pages: off to the provider, back from it, and a logout that ends both sessions.

Who: anyone. Starting and coming back are how a person signs in, so they are open like the login
page; who comes back is whatever the verified ID token says. Both answer 404 while OIDC_ISSUER
is unset.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, login, logout
from django.contrib.auth.views import LogoutView
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from accounts.models import SignInEvent
from accounts.oidc.provider import (
    ProviderUnavailable,
    SignInNotVerified,
    end_session_url,
    sign_in_claims,
    sign_in_redirect,
)
from accounts.oidc.services import sso_account_sign_in
from accounts.signin_audit import METHOD_SSO, signin_address, signin_event_record

BACKEND = "accounts.oidc.backend.OidcBackend"
NEXT_KEY = "sso_next"
UNREACHABLE = (
    "{name} cannot be reached just now, so single sign-on is not available. Try again in a few "
    "minutes; if it goes on, tell the city's IT service desk."
)
NOT_VERIFIED = (
    "Signing in with {name} did not complete, so you are not signed in. Start again with the "
    "“Sign in with {name}” button."
)


def _sso_on() -> None:
    if not settings.OIDC_ISSUER:
        raise Http404


@require_GET
def sso_start(request):
    """Who: anyone. Remembers where to go after signing in and sends the browser to the provider."""
    _sso_on()
    next_url = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    request.session[NEXT_KEY] = next_url if safe else ""
    callback = request.build_absolute_uri(reverse("oidc-callback"))
    try:
        return sign_in_redirect(request, redirect_uri=callback)
    except ProviderUnavailable:
        messages.error(request, UNREACHABLE.format(name=settings.OIDC_NAME))
        return redirect("login")


@require_GET
def sso_callback(request):
    """Who: anyone the provider sends back; signed in as the verified ID token says, or refused."""
    _sso_on()
    address = signin_address(request)
    try:
        user = sso_account_sign_in(claims=sign_in_claims(request), address=address)
    except ProviderUnavailable:
        return _refused(request, UNREACHABLE.format(name=settings.OIDC_NAME))
    except SignInNotVerified as failure:
        kind = SignInEvent.Kind.SIGN_IN_FAILED
        signin_event_record(kind=kind, address=address, method=METHOD_SSO, detail=failure.reason)
        message = NOT_VERIFIED.format(name=settings.OIDC_NAME)
        return _refused(request, message, sign_out=failure.started_here)
    except ValidationError as refusal:
        return _refused(request, refusal.messages[0])
    next_url = request.session.pop(NEXT_KEY, "")
    user.backend = (
        BACKEND  # as authenticate() marks a user: the sign-in record reads it (method sso)
    )
    login(request, user)
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


def _refused(request, message: str, sign_out: bool = True):
    """A sign-in this browser started and that was refused leaves no session in it. One it did
    not start (a link to the callback from elsewhere) leaves the session as it was: a GET from
    another site must not sign anyone out."""
    if sign_out and request.user.is_authenticated:
        logout(request)
    messages.error(request, message)
    return redirect("login")


class SsoLogoutView(LogoutView):
    """Who: anyone (a POST, as Django's). A session that single sign-on started ends at the
    provider too, when its discovery document names an end_session_endpoint."""

    def post(self, request, *args, **kwargs):
        started_by_sso = request.session.get(BACKEND_SESSION_KEY) == BACKEND
        response = super().post(request, *args, **kwargs)
        if not (started_by_sso and settings.OIDC_ISSUER):
            return response
        back_here = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
        provider_logout = end_session_url(post_logout_redirect_uri=back_here)
        return HttpResponseRedirect(provider_logout) if provider_logout else response
