"""Mail from fax-to-email services (eFax, RingCentral, Nextiva, a fax server's own mailer...): the
fax is the attached scan, and the message says which number was called, who called and how many
pages came. Such mail is a fax: it is recorded on channel fax, on the precinct that owned the
called number at the time (the intake service resolves it), not as an email to the central address.

The services word their notices differently, so this reads labelled fields rather than one
service's template; a message is taken for a fax only when it speaks of a fax, carries a scan and
names a called number that reads as a phone number.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from precincts.phone import fax_number_normalise

# A phone number as notices write it: +1 (617) 555-0133, 1-617-555-0133, 617.555.0133, 6175550133.
_PHONE = r"(\+?(?:\d[\s.\-]?){0,3}\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]?\d{4})\b"
_LABEL_END = r"\s*(?:number|no\.?|#)?\s*[:=#]?\s*\"?"
_CALLED = re.compile(
    r"(?:\bfax(?:ed)? to|\bsent to|\bcalled|\bdiall?ed|\brecipient|\bDNIS|\byour fax number|"
    r"\breceived (?:at|on)|\bfax line|(?<![\w-])to)" + _LABEL_END + _PHONE,
    re.IGNORECASE,
)
_CALLER = re.compile(
    r"(?:\bcaller[\s-]?id|\bcalling|\bsender(?:'s)?|\bANI|(?<![\w-])from)" + _LABEL_END + _PHONE,
    re.IGNORECASE,
)
_SENDER_ID = re.compile(
    r"\b(?:CSID|TSI|(?:remote )?station id|sender id)\s*[:=#]?\s*\"?([^\r\n\"]{1,40})",
    re.IGNORECASE,
)
_PAGES = re.compile(r"\b(?:pages?\s*[:=#]\s*(\d{1,4})|(\d{1,4})\s*pages?(?:\(s\))?\b)", re.I)
_SPEAKS_OF_A_FAX = re.compile(r"\b(?:e-?fax|fax|facsimile)\b", re.IGNORECASE)
# Enough of the body for any notice's header lines; a long message body is not searched through.
_READ = 4000


@dataclass(frozen=True)
class FaxNotice:
    to_number: str
    from_number: str
    sender_id: str
    pages: int | None


def _number(pattern: re.Pattern, text: str, other_than: str = "") -> str:
    """The first labelled number that reads as a phone number, in E.164."""
    for match in pattern.finditer(text):
        try:
            number = fax_number_normalise(match.group(1))
        except ValidationError:
            continue
        if number != other_than:
            return number
    return ""


def fax_to_email_of(*, subject: str, body: str, has_scan: bool) -> FaxNotice | None:
    """The fax a fax-to-email notice stands for, or None when the message is not one."""
    text = f"{subject}\n{body[:_READ]}"
    if not has_scan or not _SPEAKS_OF_A_FAX.search(text):
        return None
    to_number = _number(_CALLED, text)
    if not to_number:
        return None
    pages = _PAGES.search(text)
    sender_id = _SENDER_ID.search(text)
    return FaxNotice(
        to_number=to_number,
        from_number=_number(_CALLER, text, other_than=to_number),
        sender_id=sender_id.group(1).strip() if sender_id else "",
        pages=int(pages.group(1) or pages.group(2)) if pages else None,
    )
