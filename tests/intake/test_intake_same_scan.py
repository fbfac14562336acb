"""The same scan twice: the intake page warns before logging a scan identical (by its sha256) to
one already logged at the precinct, names that fax's receipt, and logs it only when the clerk says
"Log it anyway" (some faxes really are sent twice, and each receipt must be logged)."""

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from detainers.models import Delivery
from tests.factories import fax_received, pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/intake/"
WARNING = "This scan was already logged as"


def fax_form(precinct, content: bytes, **changes) -> dict:
    data = {
        "received_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "late_reason": "",
        "fax_number": precinct.fax_numbers.get().pk,
        "from_address": "",
        "pages": "",
        "scan": SimpleUploadedFile("scan.pdf", content, "application/pdf"),
        "notes": "",
        "submission": uuid.uuid4().hex,
    }
    data.update(changes)
    return data


def test_it_warns_with_the_first_receipt_and_logs_it_anyway_when_asked(page_as, b3):
    first = fax_received(content=pdf_bytes(pages=2))  # the fax server's copy, on B-3's line
    first_scan = first.documents.get()
    client = page_as("clerk")
    form = fax_form(b3, pdf_bytes(pages=2))

    warned = client.post(URL, form)

    page = warned.content.decode()
    assert warned.status_code == 200
    assert Delivery.objects.count() == 1, "not logged"
    assert f'{WARNING} <a href="/documents/{first_scan.pk}/">{first.receipt_number}</a>' in page
    sha256 = hashlib.sha256(pdf_bytes(pages=2)).hexdigest()
    assert f'name="log_anyway" value="{sha256}">Log it anyway</button>' in page
    assert page.index(">Log this fax</button>") < page.index(">Log it anyway</button>"), (
        "the form's own button comes first: Enter in a field does not confirm"
    )
    assert "Scan kept: <strong>scan.pdf</strong> (2 pages)" in page
    kept = re.search(r'name="kept_scan" value="([^"]+)"', page).group(1)

    # "Log it anyway": the button sends the form, without a file (the scan is kept).
    logged = client.post(URL, {**form, "scan": "", "kept_scan": kept, "log_anyway": sha256})

    assert logged.status_code == 302
    second = Delivery.objects.exclude(pk=first.pk).get()
    assert logged["Location"] == f"{URL}?receipt={second.pk}"
    assert second.documents.get().sha256 == first_scan.sha256


def test_a_confirmation_holds_only_for_the_scan_it_named(page_as, b3):
    fax_received(content=pdf_bytes(pages=3))
    confirmed_other = hashlib.sha256(pdf_bytes(pages=1)).hexdigest()
    response = page_as("clerk").post(
        URL, fax_form(b3, pdf_bytes(pages=3), log_anyway=confirmed_other)
    )
    assert response.status_code == 200
    assert WARNING in response.content.decode()
    assert Delivery.objects.count() == 1


def test_it_does_not_warn_of_another_precincts_scan(page_as, b3, c11):
    theirs = fax_received(to_number="+16175550151", content=pdf_bytes(pages=2))
    response = page_as("clerk").post(URL, fax_form(b3, pdf_bytes(pages=2)))
    assert response.status_code == 302
    assert Delivery.objects.exclude(pk=theirs.pk).get().precinct == b3


def test_a_form_sent_twice_is_not_warned_about_its_own_fax(page_as, b3):
    client = page_as("clerk")
    form = fax_form(b3, pdf_bytes())
    first = client.post(URL, form)
    form["scan"] = SimpleUploadedFile("scan.pdf", pdf_bytes(), "application/pdf")
    second = client.post(URL, form)  # a double click: the same form, the same file
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Delivery.objects.count() == 1
