"""The one error path: services refuse with Django's ValidationError, and the edges show it.

- A page's form gets it with `form_error_add`; a page with no form for the action, `refusal_flash` (a message for a field the form has goes on that field,
  anything else above the form).
- An API view lets it propagate: `api_exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]) turns it
  into DRF's 400 body, {"field": ["message", ...]}. A plain message (one that names no field) goes
  under the view's `refusal_field` ("non_field_errors" unless the view says which input it is about),
  or under `refusal_fields[error.code]` where the view names a field per kind of refusal. An error with
  `details` (a dict) adds them to the body.
"""

from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms import Form
from django.http import Http404, HttpRequest
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

T = TypeVar("T")


def error_messages(error: DjangoValidationError, field: str) -> dict[str, list[str]]:
    """{field: [messages]}: the error's own fields, or `field` for a plain message."""
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {field: error.messages}


def form_error_add(form: Form, error: DjangoValidationError, field: str | None = None) -> None:
    """Put a service's refusal on a form: each named field the form has gets its messages, the rest
    (and a plain message, unless `field` says where it belongs) goes above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(field if field in form.fields else None, error)
        return
    for name, field_messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, field_messages)


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        view = context.get("view")
        field = getattr(view, "refusal_field", api_settings.NON_FIELD_ERRORS_KEY)
        field = getattr(view, "refusal_fields", {}).get(getattr(exc, "code", None), field)
        body = error_messages(exc, field)
        body.update(getattr(exc, "details", {}))
        exc = ValidationError(body)
    return exception_handler(exc, context)


def refusal_flash(request: HttpRequest, error: DjangoValidationError) -> None:
    """A refused action on a page with no form for it: the messages at the top of the next page."""
    messages.error(request, " ".join(error.messages))


def found_or_404(item: T | None, what: str) -> T:
    """What a selector found for this user, or a 404 (a selector returns None; the edge decides)."""
    if item is None:
        raise Http404(f"No such {what}.")
    return item
