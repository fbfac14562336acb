"""Where the central mailbox is: CENTRAL_MAILBOX_URL read into an address (never logging the password)."""

from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

HOW_TO_CONFIGURE = (
    "CENTRAL_MAILBOX_URL is not set, so no mailbox is read. "
    "Set it to the central address's mailbox, "
    "e.g. imaps://user:password@mail.example.org/INBOX (imap:// without TLS, port 143 by default; "
    "imaps:// port 993), and run the Celery beat (or this command)."
)


class MailboxNotConfigured(Exception):
    def __init__(self):
        super().__init__(HOW_TO_CONFIGURE)


@dataclass(frozen=True)
class MailboxAddress:
    tls: bool
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str

    @property
    def key(self) -> str:
        """Names the mailbox in the database and on the health panel: never the password."""
        scheme = "imaps" if self.tls else "imap"
        return (
            f"{scheme}://{quote(self.user, safe='')}@{self.host}:{self.port}/{quote(self.folder)}"
        )


def mailbox_address_parse(url: str) -> MailboxAddress:
    """imap://user:pass@host:port/FOLDER or imaps://...; the folder defaults to INBOX. The user may
    be an email address (imaps://detainers@pd.example.gov@outlook.office365.com/INBOX: the host is
    after the last @) and the password absent, for an OAuth2 sign-in (MAILBOX_OAUTH2_*)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError(
            "CENTRAL_MAILBOX_URL must start with imap:// or imaps://, e.g. imaps://user:pass@host/INBOX."
        )
    if not parts.hostname or not parts.username:
        raise ValueError(
            "CENTRAL_MAILBOX_URL needs a user and a host, e.g. imaps://user:pass@host/INBOX."
        )
    tls = parts.scheme == "imaps"
    return MailboxAddress(
        tls=tls,
        host=parts.hostname,
        port=parts.port or (993 if tls else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )
