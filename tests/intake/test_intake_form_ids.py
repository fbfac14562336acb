"""The intake form's id (`submission`): one form sent twice logs its fax once, and only for the clerk
and precinct that sent it; the same id sent again with another fax is refused, never answered with
the first fax's receipt (the second fax would then be logged nowhere)."""

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape

from accounts.access import Role
from detainers.intake.services import SUBMISSION_REUSED, IncomingFile, clerk_fax_log
from detainers.models import Delivery, DetainerRequest, Event
from precincts.services import fax_number_assign
from tests.conftest import local, make_user
from tests.factories import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/intake/"
REFUSAL = "This form was already sent with another fax"


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def fax_form(precinct, submission: str, **changes) -> dict:
    """What the browser posts; a file is made anew each time, as a browser sends it again."""
    data = {
        "received_at": local_input(timezone.now() - timedelta(hours=2)),
        "late_reason": "",
        "fax_number": precinct.fax_numbers.get(number="+16175550133").pk,
        "from_address": "(617) 555-0188",
        "pages": "",
        "notes": "",
        "submission": submission,
    }
    data.update(changes)
    data.setdefault("scan", SimpleUploadedFile("scan.pdf", pdf_bytes(), "application/pdf"))
    return data


def receipt_of(response) -> int:
    """The delivery id a successful post redirects to (?receipt=<id>)."""
    assert response.status_code == 302, response.content[:500]
    return int(re.fullmatch(rf"{URL}\?receipt=(\d+)", response["Location"]).group(1))


def resent(precinct, submission: str, first: dict, **changes) -> dict:
    """The first form's answers sent again under the same id, with `changes` and a file made anew."""
    data = {**first, "submission": submission, **changes}
    if "scan" not in changes:
        data["scan"] = SimpleUploadedFile("scan.pdf", pdf_bytes(), "application/pdf")
    return data


def test_it_answers_a_form_sent_twice_with_the_first_receipt(page_as, b3):
    submission = uuid.uuid4().hex
    client = page_as("clerk")
    form = fax_form(b3, submission, pages="2", notes="Cover sheet missing")
    first = receipt_of(client.post(URL, form))
    second = receipt_of(client.post(URL, resent(b3, submission, form)))
    assert first == second
    delivery = Delivery.objects.get()
    assert delivery.pk == first
    assert (delivery.pages, delivery.notes) == (2, "Cover sheet missing")
    assert DetainerRequest.objects.count() == 1
    assert Event.objects.filter(action="received").count() == 1


@pytest.mark.parametrize(
    "what",
    [
        "another file",
        "another time",
        "other notes",
        "another sender",
        "other pages",
        "another line",
    ],
)
def test_it_refuses_the_same_form_id_sent_with_another_fax(page_as, b3, what):
    fax_number_assign(precinct=b3, number="+1 617 555 0134", active_from=local(2020, 1, 1))
    second_line = b3.fax_numbers.get(number="+16175550134")
    submission = uuid.uuid4().hex
    client = page_as("clerk")
    form = fax_form(b3, submission)
    first = Delivery.objects.get(pk=receipt_of(client.post(URL, form)))
    another = {
        "another file": {"scan": SimpleUploadedFile("fax.tif", image_bytes("TIFF"), "image/tiff")},
        "another time": {"received_at": local_input(timezone.now() - timedelta(hours=5))},
        "other notes": {"notes": "Second page illegible"},
        "another sender": {"from_address": "(617) 555-0199"},
        "other pages": {"pages": "3"},
        "another line": {"fax_number": second_line.pk},
    }[what]

    response = client.post(URL, resent(b3, submission, form, **another))

    assert response.status_code == 200
    page = response.content.decode()
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and errors[0].startswith(REFUSAL)
    assert first.receipt_number in errors[0], "it says which fax the form logged"
    assert escape(errors[0]) in page and 'role="alert"' in page
    assert Delivery.objects.get() == first, "nothing else was logged"
    assert DetainerRequest.objects.count() == 1
    assert first.documents.count() == 1
    assert 'class="receipt"' not in page, "no receipt is shown for a fax that was not logged"


def test_a_refused_form_comes_back_with_a_new_id_that_logs_the_second_fax(page_as, b3):
    submission = uuid.uuid4().hex
    client = page_as("clerk")
    form = fax_form(b3, submission)
    first = receipt_of(client.post(URL, form))
    tiff = image_bytes("TIFF", pages=2)
    refused = client.post(
        URL, resent(b3, submission, form, scan=SimpleUploadedFile("b.tif", tiff, "image/tiff"))
    )
    assert REFUSAL in refused.content.decode()
    renewed = refused.context["form"]["submission"].value()
    assert re.fullmatch(r"[0-9a-f]{32}", renewed) and renewed != submission
    assert f'name="submission" value="{renewed}"' in refused.content.decode()

    # The clerk chooses the scan again (the browser forgot it) and sends the form as it came back.
    again = resent(b3, renewed, form, scan=SimpleUploadedFile("b.tif", tiff, "image/tiff"))
    second = receipt_of(client.post(URL, again))
    assert second != first
    assert Delivery.objects.count() == 2
    assert Delivery.objects.get(pk=second).pages == 2


def test_it_never_gives_a_clerk_another_clerks_receipt(page_as, b3, clerk):
    submission = uuid.uuid4().hex
    form = fax_form(b3, submission)
    first = receipt_of(page_as("clerk").post(URL, form))

    client = page_as("clerk")
    client.force_login(make_user("third-clerk", Role.CLERK, b3))
    # The same scan at the same precinct is warned about first (test_intake_same_scan.py); this
    # clerk logs it anyway.
    confirmed = {"log_anyway": hashlib.sha256(pdf_bytes()).hexdigest()}
    theirs = receipt_of(client.post(URL, resent(b3, submission, form, **confirmed)))

    assert theirs != first, "the same id sent by another clerk logs that clerk's own fax"
    assert Delivery.objects.get(pk=first).logged_by == clerk
    assert Delivery.objects.get(pk=theirs).logged_by.username == "third-clerk"
    assert Delivery.objects.count() == 2


def test_an_id_counts_only_for_the_precinct_it_was_sent_from(b3, c11, clerk):
    submission = uuid.uuid4().hex
    fax = dict(
        clerk=clerk,
        submission=submission,
        scan=IncomingFile("scan.pdf", pdf_bytes()),
        received_at=timezone.now() - timedelta(hours=1),
    )
    in_b3 = clerk_fax_log(precinct=b3, fax_number=b3.fax_numbers.get(), **fax)
    # The clerk was moved to C-11 and sends the same id there: a fax of C-11, not B-3's receipt.
    in_c11 = clerk_fax_log(precinct=c11, fax_number=c11.fax_numbers.get(), **fax)
    assert in_b3.created and in_c11.created
    assert in_b3.delivery.pk != in_c11.delivery.pk
    assert (in_b3.delivery.precinct, in_c11.delivery.precinct) == (b3, c11)


def test_the_service_refuses_with_a_code_the_page_recognises(b3, clerk):
    fax = dict(
        clerk=clerk,
        precinct=b3,
        submission=uuid.uuid4().hex,
        received_at=timezone.now() - timedelta(hours=1),
        fax_number=b3.fax_numbers.get(),
    )
    first = clerk_fax_log(scan=IncomingFile("scan.pdf", pdf_bytes()), **fax)
    again = clerk_fax_log(scan=IncomingFile("scan.pdf", pdf_bytes()), **fax)
    assert first.created and not again.created
    assert again.delivery.pk == first.delivery.pk

    with pytest.raises(ValidationError) as refused:
        clerk_fax_log(scan=IncomingFile("scan.pdf", pdf_bytes(pages=2)), **fax)
    assert refused.value.code == SUBMISSION_REUSED
    assert Delivery.objects.count() == 1
