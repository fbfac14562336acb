"""Signing in to the central mailbox: with the password in CENTRAL_MAILBOX_URL, or, when
MAILBOX_OAUTH2_* are set, with XOAUTH2 and a client-credentials token as the URL's user (Microsoft
365 has no other way for an app; docs/deploy.md).

A failure is a `MailboxSignInError` whose message is for the health panel as it stands: what went
wrong and what to do, never the password, the client secret or a token.
"""

import imaplib
from collections.abc import Callable

from imap_tools import MailBox

from detainers.mailbox.address import MailboxAddress
from detainers.mailbox.oauth2 import OAuth2Client, TokenRefused, TokenUnavailable, tokens


class MailboxSignInError(Exception):
    """The mailbox could not be signed in to; the message says why in plain words."""


NO_PASSWORD = (
    "CENTRAL_MAILBOX_URL names no password, and MAILBOX_OAUTH2_* are not set; nothing was read. "
    "Put the password in the URL (imaps://user:password@host/INBOX), or set MAILBOX_OAUTH2_* to "
    "sign in with OAuth2 (docs/deploy.md)."
)


def mailbox_sign_in(
    *,
    address: MailboxAddress,
    connect: Callable[[], MailBox],
    oauth2: OAuth2Client | None,
) -> MailBox:
    """A connection from `connect()`, signed in. With OAuth2 a token the server refuses is renewed
    once, on a new connection (a server may close one after a failed AUTHENTICATE)."""
    if oauth2 is None:
        if not address.password:
            raise MailboxSignInError(NO_PASSWORD)
        box = connect()
        box.login(address.user, address.password, initial_folder=None)
        return box
    try:
        return tokens.signed_in(
            client=oauth2, sign_in=lambda token: _xoauth2(connect(), address.user, token)
        )
    except TokenUnavailable as error:
        raise MailboxSignInError(
            f"{error} The mail waits on the server for a later read."
        ) from None
    except TokenRefused as refused:
        raise MailboxSignInError(
            f"The mail server refused the sign-in token for {address.user} ({refused.reason}); "
            "nothing was read. In Microsoft 365 the app's service principal needs FullAccess to "
            "this mailbox (Add-MailboxPermission, docs/deploy.md)."
        ) from None


def _xoauth2(box: MailBox, user: str, access_token: str) -> MailBox:
    """AUTHENTICATE XOAUTH2, answering the server's error challenge with an empty line (as the
    mechanism requires) instead of imap-tools' repeat of the token."""
    if "AUTH=XOAUTH2" not in box.client.capabilities:
        _close(box)
        raise MailboxSignInError(
            "The mail server does not offer XOAUTH2 sign-in, which MAILBOX_OAUTH2_* ask for; "
            "nothing was read. Check the host in CENTRAL_MAILBOX_URL (Microsoft 365: "
            "outlook.office365.com)."
        )
    sent = []

    def answer(challenge: bytes) -> bytes:
        sent.append(challenge)
        return f"user={user}\1auth=Bearer {access_token}\1\1".encode() if len(sent) == 1 else b""

    try:
        box.login_result = box.client.authenticate("XOAUTH2", answer)
    except imaplib.IMAP4.error as error:
        _close(box)
        reason = str(error).replace(access_token, "***")[:200]
        if "[UNAVAILABLE]" in reason.upper():
            # The server could not check the token just now (its token service is away): a new
            # token would fare no better, and this one is still good.
            raise MailboxSignInError(
                f"The mail server could not check the sign-in token just now ({reason}); "
                "nothing was read. The mail waits on the server for a later read."
            ) from None
        raise TokenRefused(reason) from None
    return box


def _close(box: MailBox) -> None:
    try:
        box.client.shutdown()
    except Exception:  # noqa: BLE001, S110 - already gone; nothing to tell it
        pass
