"""Enrolment, verification and reset of the second factor; each writes its sign-in event.

A person has at most one confirmed TOTP device (their authenticator app) and one static device
holding their unused recovery codes. Codes are never logged or put in an event's detail.
"""

import re
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SignInEvent
from accounts.signin_audit import METHOD_RECOVERY_CODE, METHOD_TOTP, signin_event_record

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
TOTP_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class CodeCheck:
    """What became of a code: the device that took it, or why it was refused."""

    device: Device | None = None
    refusal: str = ""
    wait_until: datetime | None = None


def mfa_app_device(*, user) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they enrolled one."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def mfa_enrolment_device(*, user) -> TOTPDevice:
    """The not yet confirmed device being enrolled; the same one on every visit, so a QR code
    scanned before a reload still works."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def mfa_secret_for_typing(*, device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for people who type it instead of scanning."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def mfa_qr_data_uri(*, device: TOTPDevice) -> str:
    """The otpauth URI as a QR code, an SVG in a data: URI (the CSP allows data: images only)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _normalised(code: str) -> str:
    return re.sub(r"[\s-]+", "", code or "").lower()


def mfa_enrolment_confirm(
    *, user, device: TOTPDevice, code: str, address: str = ""
) -> list[str] | None:
    """The first code from the app confirms the device; the recovery codes are made and returned
    to be shown once. None when the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or not device.verify_token(_normalised(code)):
            signin_event_record(
                kind=SignInEvent.Kind.MFA_FAILED,
                user=user,
                address=address,
                method=METHOD_TOTP,
                detail="enrolment: the code was refused",
            )
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _recovery_codes_replace(user=user)
        signin_event_record(
            kind=SignInEvent.Kind.MFA_ENROLLED,
            user=user,
            address=address,
            method=METHOD_TOTP,
            detail=f"authenticator app and {len(codes)} recovery codes",
        )
    return codes


def _recovery_codes_replace(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def mfa_verify(*, user, code: str, address: str = "") -> CodeCheck:
    """A code after the password: six digits from the app, or else one recovery code (used up)."""
    code = _normalised(code)
    is_app_code = bool(TOTP_CODE.fullmatch(code))
    model = TOTPDevice if is_app_code else StaticDevice
    method = METHOD_TOTP if is_app_code else METHOD_RECOVERY_CODE
    with transaction.atomic():
        # Locked, so two requests cannot both spend one recovery code or one time step.
        devices = list(model.objects.devices_for_user(user, confirmed=True).select_for_update())
        for device in devices:
            allowed, waiting = device.verify_is_allowed()
            if not allowed:
                return _refused(user, address, method, waiting.get("locked_until"))
            if device.verify_token(code):
                _record_success(user=user, device=device, address=address)
                return CodeCheck(device=device)
    return _refused(user, address, method, None)


def _record_success(*, user, device: Device, address: str) -> None:
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        signin_event_record(
            kind=SignInEvent.Kind.RECOVERY_CODE_USED,
            user=user,
            address=address,
            method=METHOD_RECOVERY_CODE,
            detail=f"{left} recovery codes left",
        )
        return
    signin_event_record(
        kind=SignInEvent.Kind.MFA_VERIFIED, user=user, address=address, method=METHOD_TOTP
    )


def _refused(user, address: str, method: str, wait_until: datetime | None) -> CodeCheck:
    if wait_until is not None:
        detail = "too many wrong codes: asked to wait"
        refusal = "Too many wrong codes. Wait a few seconds, then enter the current code."
    else:
        detail = "the code was refused"
        refusal = "That code is not right. Enter the code your app shows now, or a recovery code."
    signin_event_record(
        kind=SignInEvent.Kind.MFA_FAILED, user=user, address=address, method=method, detail=detail
    )
    return CodeCheck(refusal=refusal, wait_until=wait_until)


def mfa_reset(*, user, actor, address: str = "") -> int:
    """An admin removes a person's app and recovery codes (a lost phone); they enrol again at their
    next sign-in, and a session verified with the old app owes a code again at once."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
        removed += (
            StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
        )
        signin_event_record(
            kind=SignInEvent.Kind.MFA_RESET,
            user=user,
            address=address,
            detail=f"by {actor.get_username()}",
        )
    return removed
