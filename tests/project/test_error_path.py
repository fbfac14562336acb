"""The one error path (config/errors.py): a service's ValidationError on a form, and a 404 decided
by the edge from what a selector found."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404

from config.errors import error_messages, form_error_add, found_or_404


class ScanForm(forms.Form):
    scan = forms.CharField(required=False)
    received_at = forms.CharField(required=False)


def shown(error: ValidationError, field: str | None = None) -> dict:
    form = ScanForm(data={})
    assert form.is_valid()
    form_error_add(form, error, field=field)
    return form.errors.get_json_data()


def test_it_puts_each_named_field_on_that_field():
    errors = shown(ValidationError({"received_at": "Give the offset."}))

    assert errors == {"received_at": [{"message": "Give the offset.", "code": ""}]}


def test_it_puts_a_field_the_form_does_not_have_above_the_form():
    errors = shown(ValidationError({"late_reason": "Say why.", "received_at": "Give the offset."}))

    assert errors["__all__"] == [{"message": "Say why.", "code": ""}]
    assert errors["received_at"] == [{"message": "Give the offset.", "code": ""}]


def test_it_puts_a_plain_message_on_the_field_it_is_about_or_above_the_form():
    refusal = ValidationError("The file is empty.", code="empty")

    assert shown(refusal, field="scan") == {
        "scan": [{"message": "The file is empty.", "code": "empty"}]
    }
    assert shown(refusal) == {"__all__": [{"message": "The file is empty.", "code": "empty"}]}


def test_the_api_body_names_the_fields_or_the_input_a_plain_message_is_about():
    assert error_messages(ValidationError({"year": "Too early."}), "file") == {
        "year": ["Too early."]
    }
    assert error_messages(ValidationError("Unreadable."), "file") == {"file": ["Unreadable."]}


def test_nothing_found_is_a_404_that_says_what_was_missing():
    with pytest.raises(Http404, match="No such request."):
        found_or_404(None, "request")
    assert found_or_404(0, "count") == 0  # found, even if falsy
