"""No personal data in logs, URLs or error pages, over a whole journey.

Every log record of every logger is captured (root at DEBUG, as LOG_LEVEL=DEBUG would run it)
while a fax gateway reports a fax whose file is named after the subject, a clerk logs one with a
note naming them, routing runs, a supervisor records the subject's name and A-number through the
API and the inbox page, reads the lists, opens the document and the yearly figures, and hits a 404,
refusals that echo the name, and two server errors. Then neither the name, nor any part of it, nor
the A-number written any way, may appear in a log message, its arguments or its traceback, in a
URL the app sent (redirects, links in API answers), or on Django's 500 page.
"""

import logging
import re
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.access import Role
from detainers.models import DetainerRequest
from tests.conftest import api_client_for
from tests.factories import pdf_bytes

# The journey commits: routing runs on commit, in-process, as under `make run`.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles are groups made by a data migration, and a transactional test before this one
    may have emptied the tables. (serialized_rollback would restore them, but fails whenever such
    a test flushed first: the content types it re-created collide with the serialized ones.)"""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


NAME = "Zelda Quixote-Marchetti"
NAME_PARTS = ("zelda", "quixote", "marchetti")
A_NUMBER = "A098765432"
A_DIGITS = "098765432"


def personal_data_in(text: str) -> list[str]:
    """What of the subject's data the text holds, in any case, spacing or punctuation."""
    found = [part for part in NAME_PARTS if part in text.lower()]
    if A_DIGITS in re.sub(r"[^0-9]", "", text) or A_DIGITS in re.sub(r"\W", "", text):
        found.append("a_number")
    return found


def everything_logged(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    """(logger, text) for each record: the message, each argument, any traceback."""
    formatter = logging.Formatter()
    texts = []
    for record in records:
        texts.append((record.name, record.getMessage()))
        arguments = record.args if isinstance(record.args, tuple) else (record.args,)
        texts.extend((record.name, repr(argument)) for argument in arguments if argument)
        if record.exc_info:
            texts.append((record.name, formatter.formatException(record.exc_info)))
        if record.stack_info:
            texts.append((record.name, record.stack_info))
    return texts


class Journey:
    """The clients of the journey; every answer is kept for the URL checks."""

    def __init__(self, gateway, clerk, supervisor):
        self.gateway = api_client_for(gateway, token=True)
        self.api = api_client_for(supervisor, token=True)
        self.clerk = Client()
        self.clerk.force_login(clerk)
        self.pages = Client()
        self.pages.force_login(supervisor)
        self.responses = []

    def __call__(self, response):
        self.responses.append(response)
        return response

    def urls_sent(self) -> list[str]:
        """Location headers, and every URL-looking value in the JSON answers."""
        urls = [
            response["Location"] for response in self.responses if response.has_header("Location")
        ]
        for response in self.responses:
            if "json" in response.get("Content-Type", ""):
                urls += re.findall(r'"(?:https?://|/)[^"]*"', response.content.decode())
        return urls


@pytest.fixture
def journey(b3, gateway, clerk, supervisor):
    return Journey(gateway, clerk, supervisor)


def test_a_whole_journey_logs_no_personal_data(journey, b3, caplog, settings):
    settings.DEBUG = False
    caplog.set_level(logging.DEBUG)  # the root logger and its handler: every record that propagates

    # A gateway reports a fax whose file is named after the subject (gateways do that).
    fax = journey(
        journey.gateway.post(
            "/api/v1/faxes/",
            {
                "document": SimpleUploadedFile(f"{NAME} {A_NUMBER}.pdf", pdf_bytes()),
                "to_number": "+1 617 555 0133",
                "from_number": "+1 202 555 0100",
                "received_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
                "gateway_id": "gw-journey-1",
            },
        )
    )
    assert fax.status_code == 201, fax.json()
    item_id = fax.json()["id"]
    assert fax.json()["routed_at"], "routing ran in-process on commit"

    # A clerk logs a paper fax and notes whom it is about.
    line = b3.fax_numbers.get(active_until__isnull=True)
    logged = journey(
        journey.clerk.post(
            "/intake/",
            {
                "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "fax_number": line.pk,
                "from_address": "",
                "pages": "",
                "late_reason": "",
                # Not the gateway's file (the same scan again would be asked about first).
                "scan": SimpleUploadedFile(f"{NAME}.pdf", pdf_bytes(2)),
                "notes": f"Detainer for {NAME}, {A_NUMBER}",
                "submission": uuid.uuid4().hex,
            },
        )
    )
    assert logged.status_code == 302

    # A supervisor records the subject, through the API and through the inbox page.
    patched = journey(
        journey.api.patch(
            f"/api/v1/requests/{item_id}/",
            {"subject_name": NAME, "a_number": A_NUMBER, "form_type": "I-247A"},
            format="json",
        )
    )
    assert patched.status_code == 200, patched.json()
    other_id = DetainerRequest.objects.exclude(pk=item_id).get().pk
    triaged = journey(
        journey.pages.post(
            reverse("inbox-item-triage", args=[other_id]),
            {"subject_name": NAME, "a_number": "A 098-765-432", "form_type": "I-247A"},
        )
    )
    assert triaged.status_code == 302, triaged.context and triaged.context["form"].errors
    assert triaged["Location"] == reverse("inbox-item", args=[other_id])
    # Both requests now hold the subject, so every page and log line below could leak them.
    recorded = DetainerRequest.objects.values_list("subject_name", "a_number")
    assert list(recorded) == [(NAME, A_NUMBER), (NAME, A_NUMBER)]

    # Reading: the lists, the item, the document, the figures.
    for url in (
        reverse("inbox"),
        reverse("inbox-item", args=[item_id]),
        f"/api/v1/requests/{item_id}/",
        "/api/v1/requests/",
        "/api/v1/stats/yearly/",
    ):
        client = journey.api if url.startswith("/api/") else journey.pages
        assert journey(client.get(url)).status_code == 200, url
    document = DetainerRequest.objects.get(pk=item_id).delivery.documents.get()
    download = journey(journey.pages.get(reverse("document", args=[document.pk])))
    assert download.status_code == 200
    assert NAME not in download["Content-Disposition"]

    # A 404, and refusals that echo what was typed.
    assert journey(journey.api.get("/api/v1/requests/987654321/")).status_code == 404
    assert journey(journey.pages.get(reverse("inbox-item", args=[987654321]))).status_code == 404
    echoed = journey(
        journey.api.patch(f"/api/v1/requests/{item_id}/", {"form_type": NAME}, format="json")
    )
    assert echoed.status_code == 400 and NAME in echoed.content.decode()
    assert (
        journey(
            journey.api.patch(
                f"/api/v1/requests/{item_id}/", {"date_of_birth": NAME}, format="json"
            )
        )
    ).status_code == 400
    resolved = journey(journey.api.get("/api/v1/fax-numbers/resolve/", {"number": NAME}))
    assert resolved.status_code == 400 and NAME in resolved.content.decode()

    # Two server errors after the request (and the subject's name) was loaded.
    journey.pages.raise_request_exception = False
    journey.api.raise_request_exception = False
    with mock.patch(
        "detainers.inbox.views.items._item_page", side_effect=RuntimeError("page broke")
    ):
        page_error = journey(journey.pages.get(reverse("inbox-item", args=[item_id])))
    with mock.patch(
        "detainers.inbox.api.RequestDetail._answer", side_effect=RuntimeError("api broke")
    ):
        api_error = journey(journey.api.get(f"/api/v1/requests/{item_id}/"))

    assert page_error.status_code == 500 and api_error.status_code == 500
    for error in (page_error, api_error):
        assert personal_data_in(error.content.decode()) == []  # Django's 500 page, DEBUG off
    assert "Internal Server Error" in caplog.text  # the errors were logged ...
    assert len(caplog.records) > 10, "the journey logged nothing: the capture is not working"
    logged = [(record.name, record.getMessage()) for record in caplog.records]
    for request in DetainerRequest.objects.all():  # intake and routing name each delivery by id
        mentions = {name for name, text in logged if f"delivery {request.delivery_id} " in text}
        assert {"detainers.intake.services", "detainers.intake.routing"} <= mentions, mentions
    assert ("django.request", "Bad Request: /api/v1/fax-numbers/resolve/") in logged
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [record.getMessage() for record in errors] == [
        f"Internal Server Error: {reverse('inbox-item', args=[item_id])}",
        f"Internal Server Error: /api/v1/requests/{item_id}/",
    ]
    assert all(record.exc_info for record in errors), "their tracebacks are searched too"

    leaks = [
        (logger, text[:200], found)
        for logger, text in everything_logged(caplog.records)
        if (found := personal_data_in(text))
    ]
    assert leaks == []  # ... without the subject
    assert [url for url in journey.urls_sent() if personal_data_in(url)] == []


def test_sql_is_never_logged_with_its_parameters():
    # A query's parameters hold names and A-numbers; with DEBUG on Django would log every query.
    assert settings.LOGGING["loggers"]["django.db.backends"]["level"] == "WARNING"
