"""Identifiers on detainer forms (A-number, Subject ID, Event #) in the one form they are compared in."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError


def a_number_normalise(raw: str) -> str:
    """A-number as the agency writes it, any punctuation: 'A 012-345-678' -> 'A012345678'."""
    digits = re.sub(r"\D", "", raw or "")
    if not digits:
        if (raw or "").strip():
            raise ValidationError({"a_number": "An A-number is digits, e.g. A012345678."})
        return ""
    if not 7 <= len(digits) <= 9:
        raise ValidationError({"a_number": "An A-number has 7 to 9 digits, e.g. A012345678."})
    return "A" + digits.zfill(9)


def identifier_normalise(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()[:40]


@dataclass(frozen=True)
class RequestReference:
    """What a person typed to name a request: a receipt reference, or the old request number."""

    delivery_id: int | None = None
    sequence: int = 1
    year: int | None = None
    request_id: int | None = None


_RECEIPT_REFERENCE = re.compile(r"DD[\s-]*(\d{4})[\s-]*(\d{1,12})(?:[\s-]+(\d{1,4}))?", re.I)
_REQUEST_NUMBER = re.compile(r"(?:request\s*)?#?\s*(\d{1,12})", re.I)


def request_reference_parse(text: str) -> RequestReference | None:
    """'DD-2026-000121', 'dd 2026 121-2' (the second request of that delivery), or the old
    '#121' / '121' (the request's own number); None for anything else."""
    cleaned = (text or "").strip()
    if match := _RECEIPT_REFERENCE.fullmatch(cleaned):
        year, delivery_id, sequence = match.groups()
        return RequestReference(
            delivery_id=int(delivery_id), sequence=int(sequence or 1), year=int(year)
        )
    if match := _REQUEST_NUMBER.fullmatch(cleaned):
        return RequestReference(request_id=int(match.group(1)))
    return None
