"""The second-factor pages. Who: a signed-in person whose session still owes its second factor."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from accounts.mfa import services
from accounts.mfa.forms import CodeForm
from accounts.mfa.policy import mfa_pending, mfa_pending_forget
from accounts.signin_audit import signin_address


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else reverse("home")


def _verified(request, device) -> None:
    otp_login(request, device)
    # A new session key now the person is fully signed in: one seen before the code is worth nothing.
    request.session.cycle_key()
    mfa_pending_forget(request)


@never_cache
@login_required
def verify(request):
    """Who: a signed-in person owing a second factor. The code after the password."""
    if not mfa_pending(request):
        return redirect(_next_url(request))
    if services.mfa_app_device(user=request.user) is None:
        return redirect(f"{reverse('mfa-enrol')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.mfa_verify(
            user=request.user, code=form.cleaned_data["code"], address=signin_address(request)
        )
        if check.device is not None:
            _verified(request, check.device)
            return redirect(_next_url(request))
        form.add_error("code", check.refusal)
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
def enrol(request):
    """Who: a signed-in person owing a second factor who has no app enrolled yet."""
    if not mfa_pending(request) or services.mfa_app_device(user=request.user) is not None:
        return redirect(f"{reverse('mfa-verify')}?{request.GET.urlencode()}")
    device = services.mfa_enrolment_device(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.mfa_enrolment_confirm(
            user=request.user,
            device=device,
            code=form.cleaned_data["code"],
            address=signin_address(request),
        )
        if codes is not None:
            _verified(request, device)
            context = {"codes": codes, "next": _next_url(request)}
            return render(request, "accounts/mfa_recovery_codes.html", context)
        form.add_error("code", "That code is not right. Enter the code your app shows now.")
    context = {
        "form": form,
        "next": _next_url(request),
        "qr": services.mfa_qr_data_uri(device=device),
        "secret": services.mfa_secret_for_typing(device=device),
    }
    return render(request, "accounts/mfa_enrol.html", context)
