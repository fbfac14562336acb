"""Reading phone and fax numbers the way people type them."""

import phonenumbers
from django.core.exceptions import ValidationError

DEFAULT_REGION = "US"


def fax_number_normalise(raw: str) -> str:
    """Return the number in E.164 form (+16175550123), or raise ValidationError saying why not.

    Accepts the common ways of writing a number: (617) 555-0123, 617.555.0123, +1 617 555 0123,
    1-617-555-0123. A number without a country code is read as a US number.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a fax number, e.g. (617) 555-0123.", code="required")
    if len(text) > 40:
        raise ValidationError("That is too long to be a phone number.", code="too_long")
    try:
        parsed = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "%(value)s is not a phone number: use digits, e.g. (617) 555-0123 or +1 617 555 0123.",
            params={"value": text},
            code="unparseable",
        ) from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(
            "%(value)s has the wrong number of digits for a phone number "
            "(a US number has 10 digits after the country code 1).",
            params={"value": text},
            code="impossible",
        )
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            "%(value)s is not a valid phone number: no such area code or exchange exists.",
            params={"value": text},
            code="invalid",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def fax_number_display(e164: str) -> str:
    """+16175550123 -> (617) 555-0123; numbers abroad in international form."""
    try:
        parsed = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
