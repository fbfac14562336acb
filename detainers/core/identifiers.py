"""Identifiers on detainer forms (A-number, Subject ID, Event #) in the one form they are compared in."""

import re

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
