"""The intake form keeps the chosen scan when it comes back (browsers cannot refill a file input):
a mistake in another field costs the clerk nothing but fixing it. The scan waits under MEDIA_ROOT,
named by a random token the form carries signed, for this clerk only and for an hour."""

import os
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.access import Role
from detainers.core.documents import document_check
from detainers.intake import staging
from detainers.models import Delivery
from detainers.records.tasks import purge_expired
from tests.conftest import make_user
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/intake/"
KEPT = "Scan kept: <strong>scan.pdf</strong> (2 pages) — choose another to replace it."


def fax_form(precinct, **changes) -> dict:
    data = {
        "received_at": timezone.localtime(timezone.now() - timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "late_reason": "",
        "fax_number": precinct.fax_numbers.get().pk,
        "from_address": "(617) 555-0188",
        "pages": "",
        "scan": SimpleUploadedFile("scan.pdf", pdf_bytes(pages=2), "application/pdf"),
        "notes": "",
        "submission": uuid.uuid4().hex,
    }
    data.update(changes)
    return data


def staged_files() -> list[Path]:
    return sorted((Path(settings.MEDIA_ROOT) / staging.STAGING_FOLDER).glob("*/*"))


def kept_token(response) -> str:
    match = re.search(r'name="kept_scan" value="([^"]+)"', response.content.decode())
    assert match, "the form carries the kept scan"
    return match.group(1)


def test_a_mistake_in_an_optional_field_keeps_the_scan_for_the_next_send(page_as, b3, clerk):
    client = page_as("clerk")
    form = fax_form(b3, pages="501")

    refused = client.post(URL, form)

    assert refused.status_code == 200 and "at most 500 pages" in refused.content.decode()
    assert Delivery.objects.count() == 0
    assert KEPT in refused.content.decode()
    assert "Choose the file again" not in refused.content.decode()
    token = kept_token(refused)
    assert "scan.pdf" not in token, "nothing of the file's name in the token"
    stored = staged_files()
    assert [path.parent.name for path in stored] == [str(clerk.pk)] * 2, "the clerk's own folder"
    assert pdf_bytes(pages=2) in [path.read_bytes() for path in stored]

    # The clerk fixes the page count and sends the form as it came back: no file chosen.
    again = {**form, "pages": "2", "kept_scan": token, "scan": ""}
    logged = client.post(URL, again)

    assert logged.status_code == 302
    delivery = Delivery.objects.get()
    document = delivery.documents.get()
    assert (document.name, document.pages, delivery.pages) == ("scan.pdf", 2, 2)
    assert Path(document.file.path).read_bytes() == pdf_bytes(pages=2)
    assert staged_files() == [], "used, so no longer kept"


def test_a_scan_chosen_again_replaces_the_kept_one(page_as, b3):
    client = page_as("clerk")
    first = client.post(URL, fax_form(b3, pages="501"))
    other = SimpleUploadedFile("other.pdf", pdf_bytes(pages=3), "application/pdf")
    second = client.post(URL, fax_form(b3, pages="501", kept_scan=kept_token(first), scan=other))

    assert "Scan kept: <strong>other.pdf</strong> (3 pages)" in second.content.decode()
    assert kept_token(second) != kept_token(first)
    assert [path.read_bytes() for path in staged_files() if path.suffix != ".json"] == [
        pdf_bytes(pages=3)
    ], "the replaced scan is gone"


def test_a_refused_file_is_not_kept(page_as, b3):
    html = SimpleUploadedFile("page.pdf", b"<html>not a scan</html>", "application/pdf")
    response = page_as("clerk").post(URL, fax_form(b3, scan=html))
    page = response.content.decode()
    assert "whatever its name says" in page
    assert "Scan kept" not in page and 'name="kept_scan" value=' not in page
    assert "Choose the file again" in page
    assert staged_files() == []


@pytest.mark.parametrize("how", ["another clerk", "expired", "changed on disk", "forged"])
def test_a_kept_scan_counts_only_for_its_clerk_within_the_hour_and_unchanged(
    page_as, b3, monkeypatch, how
):
    client = page_as("clerk")
    form = fax_form(b3, pages="501")
    token = kept_token(client.post(URL, form))
    if how == "another clerk":
        client.force_login(make_user("third-clerk", Role.CLERK, b3))
    elif how == "expired":
        monkeypatch.setattr(staging, "KEPT_FOR", timedelta(seconds=-1))
    elif how == "changed on disk":
        for path in staged_files():
            if path.suffix != ".json":
                path.write_bytes(pdf_bytes(pages=5))
    else:
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.post(URL, {**form, "pages": "", "kept_scan": token, "scan": ""})

    assert response.status_code == 200
    assert "Choose the scan of the fax" in response.content.decode()
    assert Delivery.objects.count() == 0


def test_kept_scans_older_than_a_day_are_removed(clerk, b3):
    old = staging.scan_keep(clerk=clerk, scan=document_check(name="a.pdf", content=pdf_bytes()))
    day_ago = time.time() - timedelta(days=1, minutes=1).total_seconds()
    for path in staged_files():
        os.utime(path, (day_ago, day_ago))
    fresh = staging.scan_keep(clerk=clerk, scan=document_check(name="b.pdf", content=pdf_bytes(2)))

    assert staging.kept_scans_remove_stale() == 2, "the old scan and its sidecar"
    assert staging.kept_scan(clerk=clerk, signed=old.signed) is None
    assert staging.kept_scan(clerk=clerk, signed=fresh.signed).name == "b.pdf"
    assert len(staged_files()) == 2


def test_the_daily_purge_removes_the_kept_scans_nobody_came_back_for(clerk, b3):
    kept = staging.scan_keep(clerk=clerk, scan=document_check(name="a.pdf", content=pdf_bytes()))
    day_ago = time.time() - timedelta(days=1, minutes=1).total_seconds()
    for path in staged_files():
        os.utime(path, (day_ago, day_ago))

    purge_expired()

    assert staged_files() == []
    assert staging.kept_scan(clerk=clerk, signed=kept.signed) is None
