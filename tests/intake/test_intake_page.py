"""The clerk's intake page: who may use it, what it writes via the intake service and refuses."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from accounts.access import Role
from detainers.models import Delivery, DetainerRequest, Source
from precincts.services import fax_number_assign, fax_number_retire
from tests.conftest import local, make_user
from tests.factories import fax_received, image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/intake/"


def local_input(moment) -> str:
    """A moment as a browser's datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def scan(name="scan.pdf", content=None, content_type="application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, pdf_bytes() if content is None else content, content_type=content_type
    )


def fax_form(precinct, **changes) -> dict:
    data = {
        "received_at": local_input(timezone.now() - timedelta(hours=2)),
        "late_reason": "",
        "fax_number": precinct.fax_numbers.get(active_until__isnull=True).pk,
        "from_address": "(617) 555-0188",
        "pages": "",
        "scan": scan(),
        "notes": "",
        "submission": uuid.uuid4().hex,
    }
    data.update(changes)
    return data


def assert_refused(response, field: str, message: str) -> None:
    """Nothing written; the page says what to fix, on the field, linked to it and summarised."""
    assert response.status_code == 200
    assert Delivery.objects.count() == 0
    assert DetainerRequest.objects.count() == 0
    page = response.content.decode()
    assert escape(message) in page
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in page
    assert f"id_{field}_error" in response.context["form"][field].as_widget()
    assert 'role="alert"' in page
    assert 'class="receipt"' not in page


def test_it_shows_the_form_with_the_precinct_preset_and_its_line(page_as, b3):
    response = page_as("clerk").get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "B-3 Mattapan" in page
    assert 'name="precinct"' not in page, "the precinct is the clerk's, not a choice"
    assert "(617) 555-0133 — Station line" in page
    assert 'type="datetime-local"' in page
    shown = response.context["form"]["received_at"].value()
    assert abs(shown - timezone.localtime().replace(tzinfo=None)) < timedelta(minutes=2)
    assert f'value="{shown:%Y-%m-%dT%H:%M}"' in page, "the default is now, in local time"
    assert "Only if the fax arrived more than 7 days ago" in page
    assert 'role="alert"' not in page


def test_it_logs_a_fax_and_redirects_to_its_receipt(page_as, clerk, b3):
    moment = timezone.localtime().replace(second=0, microsecond=0) - timedelta(hours=3)
    client = page_as("clerk")
    response = client.post(URL, fax_form(b3, received_at=local_input(moment)))
    delivery = Delivery.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?receipt={delivery.pk}"
    assert delivery.source == Source.CLERK
    assert delivery.logged_by == clerk
    assert delivery.precinct == b3
    assert delivery.fax_number == b3.fax_numbers.get()
    assert delivery.received_at == moment, "the typed time is read as local time"
    assert delivery.from_address == "+16175550188"
    assert delivery.pages == 1, "counted from the scan when left empty"
    assert delivery.documents.get().content_type == "application/pdf"

    receipt = client.get(response["Location"])
    page = receipt.content.decode()
    assert f'<strong class="receipt">{delivery.receipt_number}</strong>' in page
    assert "write this on the paper fax" in page
    assert f"Fax logged. Receipt number {delivery.receipt_number}." in page


def test_it_logs_a_tiff_with_the_pages_the_clerk_counted(page_as, b3):
    tiff = scan("scan.tif", image_bytes("TIFF", pages=3), "image/tiff")
    page_as("clerk").post(URL, fax_form(b3, scan=tiff, pages="4", notes="Cover sheet not scanned"))
    delivery = Delivery.objects.get()
    assert delivery.pages == 4
    assert delivery.notes == "Cover sheet not scanned"


def test_it_refuses_a_time_in_the_future(page_as, b3):
    future = local_input(timezone.now() + timedelta(hours=1))
    response = page_as("clerk").post(URL, fax_form(b3, received_at=future))
    assert_refused(
        response, "received_at", "That time is in the future. Enter when the fax arrived."
    )


def test_it_asks_why_a_fax_8_days_old_is_logged_only_now(page_as, b3):
    old = local_input(timezone.now() - timedelta(days=8))
    response = page_as("clerk").post(URL, fax_form(b3, received_at=old))
    assert_refused(response, "late_reason", "Say why it is logged only now.")

    response = page_as("clerk").post(
        URL, fax_form(b3, received_at=old, late_reason="Found behind the machine")
    )
    assert response.status_code == 302
    assert Delivery.objects.get().late_reason == "Found behind the machine"


def test_it_reads_a_time_in_the_hour_the_clocks_go_back_as_the_first_one(page_as, b3):
    data = fax_form(b3, received_at="2025-11-02T01:30", late_reason="Filed late")
    page_as("clerk").post(URL, data)
    # The first 01:30 that night is still daylight time (UTC-4).
    assert Delivery.objects.get().received_at == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (scan("page.pdf", b"<html><script>alert(1)</script></html>"), "whatever its name says"),
        (scan("empty.pdf", b""), "The file is empty. Scan or export the fax again."),
    ],
    ids=["html-named-pdf", "empty"],
)
def test_it_refuses_a_file_that_is_not_a_scan(page_as, b3, upload, message):
    response = page_as("clerk").post(URL, fax_form(b3, scan=upload))
    assert_refused(response, "scan", message)


def test_it_refuses_a_file_over_the_limit_and_says_the_limit(page_as, b3, settings):
    settings.MAX_DOCUMENT_BYTES = 1000
    response = page_as("clerk").post(
        URL, fax_form(b3, scan=scan(content=pdf_bytes() + b"\n" * 2000))
    )
    assert_refused(response, "scan", "the limit is 1000\xa0bytes")


def test_it_refuses_a_scan_left_out(page_as, b3):
    data = fax_form(b3)
    del data["scan"]
    assert_refused(page_as("clerk").post(URL, data), "scan", "Choose the scan of the fax")


def test_it_refuses_another_precincts_line(page_as, b3, c11):
    response = page_as("clerk").post(URL, fax_form(b3, fax_number=c11.fax_numbers.get().pk))
    assert_refused(response, "fax_number", "not one of B-3's fax numbers")


def test_it_refuses_a_sender_number_that_is_not_one(page_as, b3):
    response = page_as("clerk").post(URL, fax_form(b3, from_address="617-555"))
    assert_refused(response, "from_address", "617-555 has the wrong number of digits")


def test_it_refuses_a_page_count_over_500(page_as, b3):
    response = page_as("clerk").post(URL, fax_form(b3, pages="501"))
    assert_refused(response, "pages", "at most 500 pages")


def test_it_offers_lines_retired_in_the_last_90_days(page_as, b3):
    now = timezone.now()
    old_line = b3.fax_numbers.get()
    fax_number_retire(fax_number=old_line, active_until=now - timedelta(days=10))
    fax_number_assign(precinct=b3, number="617-555-0134", active_from=now - timedelta(days=10))
    long_gone = fax_number_assign(precinct=b3, number="617-555-0135", active_from=local(2019, 1, 1))
    fax_number_retire(fax_number=long_gone, active_until=now - timedelta(days=100))

    page = page_as("clerk").get(URL).content.decode()
    retired_on = f"{timezone.localtime(now - timedelta(days=10)):%Y-%m-%d}"
    assert f"(617) 555-0133 — Station line (retired {retired_on})" in page
    assert "(617) 555-0134 — Station line<" in page
    assert "(617) 555-0135" not in page


def test_it_refuses_a_retired_line_for_a_fax_that_came_after_it_was_retired(page_as, b3):
    old_line = b3.fax_numbers.get()
    fax_number_retire(fax_number=old_line, active_until=timezone.now() - timedelta(days=3))
    fax_number_assign(
        precinct=b3, number="617-555-0134", active_from=timezone.now() - timedelta(days=3)
    )
    response = page_as("clerk").post(URL, fax_form(b3, fax_number=old_line.pk))
    assert_refused(
        response, "fax_number", "That number was not in service at the time you entered."
    )


@pytest.mark.parametrize("name", ["supervisor", "admin", "nobody", "gateway"])
def test_it_is_forbidden_to_everyone_but_clerks(page_as, b3, name):
    assert page_as(name).get(URL).status_code == 403
    assert page_as(name).post(URL, fax_form(b3)).status_code == 403
    assert Delivery.objects.count() == 0


def test_it_sends_anonymous_visitors_to_the_login_page(page_as, b3):
    response = page_as("anonymous").get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/intake/"


def test_it_shows_another_precincts_clerk_only_their_own_lines_and_log(page_as, b3, c11):
    b3_fax = fax_received(to_number="+16175550133")
    page = page_as("other_precinct_clerk").get(URL).content.decode()
    assert "C-11 Dorchester" in page
    assert "(617) 555-0151 — Station line" in page
    assert "(617) 555-0133" not in page
    assert b3_fax.receipt_number not in page


def test_it_ignores_a_receipt_of_another_precinct(page_as, b3, c11):
    c11_fax = fax_received(to_number="+16175550151")
    b3_fax = fax_received(to_number="+16175550133")
    # The clerk's own receipt is shown: the marker looked for below is the one the page uses.
    own = page_as("clerk").get(URL, {"receipt": b3_fax.pk})
    assert own.status_code == 200
    assert f'<strong class="receipt">{b3_fax.receipt_number}</strong>' in own.content.decode()
    for receipt in (c11_fax.pk, "abc", "٣", "-1", "99999999999999999999999"):
        response = page_as("clerk").get(URL, {"receipt": receipt})
        page = response.content.decode()
        assert response.status_code == 200, receipt
        assert "B-3 Mattapan" in page and 'class="card intake-form"' in page, receipt
        assert response.context["receipt"] is None, receipt
        assert 'class="receipt"' not in page
        assert c11_fax.receipt_number not in page


def test_it_asks_a_clerk_without_a_precinct_to_have_one_set(client, b3):
    lost = make_user("lost-clerk", Role.CLERK)
    client.force_login(lost)
    page = client.get(URL).content.decode()
    assert "Ask an administrator to set your precinct" in page
    assert "<form" not in page.split("<main", 1)[1]
    assert client.post(URL, fax_form(b3)).status_code == 200
    assert Delivery.objects.count() == 0


def test_its_log_shows_the_precincts_deliveries_but_no_subject(page_as, b3, clerk, gateway):
    routed = fax_received(actor=gateway)
    Delivery.objects.filter(pk=routed.pk).update(routed_at=timezone.now())
    waiting = fax_received()
    DetainerRequest.objects.filter(delivery=waiting).update(
        subject_name="Jane Roe", a_number="A123456789", subject_id="S-4242", event_number="E-77"
    )
    page = page_as("clerk").get(URL).content.decode()
    log = page.split('id="recent-log-title"', 1)[1]
    assert routed.receipt_number in log and waiting.receipt_number in log
    assert "fax-gateway" in log, "who logged it"
    assert "(617) 555-0133" in log
    assert "Not yet" in log and "Yes, " in log
    for identifier in ("Jane Roe", "A123456789", "S-4242", "E-77"):
        assert identifier not in page


def test_its_query_count_does_not_grow_with_the_log(
    page_as, b3, gateway, django_assert_max_num_queries
):
    client = page_as("clerk")

    def queries_for_page(rows: int) -> int:
        while Delivery.objects.count() < rows:
            fax_received(actor=gateway)
        # session, user, roles, precinct, receipt, log (with line and clerk), the line choices
        # (twice: once to preselect a precinct's only line)
        with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"receipt": Delivery.objects.first().pk})
        page = response.content.decode()
        assert page.count("<tr>") == rows + 1
        assert 'class="receipt"' in page
        return len(queries)

    assert queries_for_page(1) == queries_for_page(15)


def test_it_escapes_what_the_clerk_typed(page_as, b3):
    markup = '<script>alert("x")</script>'
    response = page_as("clerk").post(URL, fax_form(b3, from_address=markup, notes=markup))
    page = response.content.decode()
    assert Delivery.objects.count() == 0
    assert "is not a phone number" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; is not a phone number" in page


def test_it_logs_a_fax_once_when_the_form_is_sent_twice(page_as, b3):
    client = page_as("clerk")
    form = fax_form(b3)
    first = client.post(URL, form)
    form["scan"] = scan()  # the browser sends the file again with the repeated POST
    second = client.post(URL, form)
    assert Delivery.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]


def test_a_damaged_form_id_is_refused(page_as, b3):
    response = page_as("clerk").post(URL, fax_form(b3, submission="not-an-id"))
    assert response.status_code == 200
    assert Delivery.objects.count() == 0
    assert "reload the page" in response.content.decode()


def test_it_preselects_the_line_of_a_precinct_with_one(page_as, b3):
    line = b3.fax_numbers.get()
    page = page_as("clerk").get(URL).content.decode()
    assert f'<option value="{line.pk}" selected>' in page

    fax_number_assign(precinct=b3, number="617-555-0134", active_from=local(2020, 1, 1))
    page = page_as("clerk").get(URL).content.decode()
    choices = page.split('id="id_fax_number"', 1)[1].split("</select>", 1)[0]
    assert '<option value="" selected>Choose the fax line</option>' in choices, "two: a choice"
    assert choices.count(" selected>") == 1


def test_the_late_reason_says_when_it_is_needed_for_the_pages_script(page_as, b3):
    page = page_as("clerk").get(URL).content.decode()
    assert 'data-late-after-days="7"' in page
    assert 'src="/static/js/intake.js" defer' in page


def test_the_home_page_leads_a_clerk_to_log_a_fax(page_as, b3):
    page = page_as("clerk").get("/").content.decode()
    lead = page.split('class="card home-lead"', 1)[1].split("</section>", 1)[0]
    assert 'class="button button-large" href="/intake/">Log a received fax</a>' in lead
    assert 'href="/intake/log/">My log</a>' in lead
    assert "home-lead" not in page_as("supervisor").get("/").content.decode()


def test_its_recent_log_is_in_the_order_the_faxes_were_received(page_as, b3):
    received_lately = fax_received(received_at=timezone.now() - timedelta(hours=1))
    found_late = fax_received(received_at=timezone.now() - timedelta(days=2))  # logged after it
    log = page_as("clerk").get(URL).content.decode().split('id="recent-log-title"', 1)[1]
    assert log.index(received_lately.receipt_number) < log.index(found_late.receipt_number)
