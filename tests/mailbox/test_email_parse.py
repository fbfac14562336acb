"""The parser on its own (no database, no IMAP): every awkward message is read, none raises but
the one that is not an email at all."""

import pytest

from detainers.mailbox.parsing import (
    UnreadableMessage,
    external_id_for,
    html_to_text,
    is_agency_address,
    looks_like_detainer,
    message_headers,
    message_parse,
)
from tests import mail_corpus as corpus

AGENCY = ["ice.dhs.gov", "dhs.gov"]


def forms_of(raw: bytes) -> list[str]:
    return [file.name for file in message_parse(raw).forms]


def test_it_reads_every_hard_case_but_the_non_email_without_raising():
    for name, raw in corpus.hard_cases().items():
        if name == "not_an_email":
            with pytest.raises(UnreadableMessage, match="no header fields"):
                message_parse(raw)
        else:
            assert message_parse(raw).headers is not None, name


def test_each_attached_form_is_a_form():
    assert forms_of(corpus.with_forms("a", forms=2)) == ["I-247A-1.pdf", "I-247A-2.pdf"]
    assert forms_of(corpus.tiff_form("t")) == ["fax.tif"]


def test_a_pdf_declared_as_octet_stream_is_recognised_by_content():
    parsed = message_parse(corpus.octet_stream_pdf("o"))
    assert [(f.name, f.content_type, f.form) for f in parsed.files] == [
        ("SCAN0001.bin", "application/pdf", True)
    ]


def test_a_forwarded_message_is_opened():
    parsed = message_parse(corpus.forwarded("f"))
    assert forms_of(corpus.forwarded("f")) == ["detainer.pdf"]
    assert "Forwarded message" in parsed.body and "Detainer for your prisoner" in parsed.body
    assert parsed.senders == ["kelly@police.example.gov", "ero.boston@ice.dhs.gov"]
    assert parsed.headers.from_address == "kelly@police.example.gov"
    assert looks_like_detainer(parsed, AGENCY)


def test_html_is_text_without_markup_scripts_or_styles():
    parsed = message_parse(corpus.html_only("h"))
    assert "Detainer for John Doe" in parsed.body
    assert "<" not in parsed.body and "alert" not in parsed.body and "color" not in parsed.body
    assert html_to_text("<p>a&amp;b</p><p>c</p>") == "a&b\n\nc\n"


def test_an_inline_logo_is_kept_but_is_not_a_form():
    parsed = message_parse(corpus.with_inline_logo("l"))
    assert [(f.content_type, f.form) for f in parsed.files] == [("image/png", False)]
    assert parsed.body.startswith("Our newsletter")
    assert not looks_like_detainer(parsed, AGENCY)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (corpus.latin1, "Detención de José Muñoz"),
        (corpus.windows_1252, "The \u201cdetainer\u201d is attached \u2013 see"),
        (corpus.shift_jis, "移民拘留要請書を添付します。"),
        (corpus.unknown_charset, "Café on the corner"),
    ],
)
def test_bodies_in_any_charset_are_read(build, expected):
    assert expected in message_parse(build("c")).body


def test_rfc2231_and_rfc2047_file_names_are_decoded():
    assert forms_of(corpus.encoded_names("n")) == ["拘留 form.pdf", "Détention Muñoz.pdf"]


def test_sender_with_an_encoded_name_and_the_agency_domain():
    headers = message_headers(corpus.latin1("x"))
    assert headers.from_address == "jose.munoz@ice.dhs.gov"
    assert headers.message_id == "<x@corpus.example>"
    assert is_agency_address("a@ICE.DHS.GOV", AGENCY) and is_agency_address("b@dhs.gov", AGENCY)
    assert not is_agency_address("c@notdhs.gov", AGENCY) and not is_agency_address("", AGENCY)


def test_a_truncated_multipart_is_read_as_far_as_it_goes_with_its_defects():
    parsed = message_parse(corpus.truncated("t"))
    assert "CloseBoundaryNotFoundDefect" in parsed.defects
    assert any("cut short" in note for note in parsed.notes)
    assert parsed.body.startswith("Please find")


def test_winmail_dat_is_kept_as_sent_with_a_note():
    parsed = message_parse(corpus.winmail("w"))
    assert [(f.name, f.content_type, f.form) for f in parsed.files] == [
        ("winmail.dat", "application/ms-tnef", False)
    ]
    assert any("winmail.dat" in note for note in parsed.notes)


def test_a_missing_message_id_is_replaced_by_the_hash():
    headers = message_headers(corpus.no_message_id("x"))
    assert headers.message_id == ""
    assert external_id_for("", "ab" * 32) == "sha256:" + "ab" * 32
    assert external_id_for("<" + "x" * 300 + ">", "00").startswith("message-id-sha256:")


def test_only_a_signed_notice_header_is_our_own():
    assert message_headers(corpus.own_notice("n")).own_notice is True
    assert message_headers(corpus.forged_notice("f")).own_notice is False


def test_a_parser_failure_becomes_an_unreadable_message(monkeypatch):
    from detainers.mailbox import parsing as email_parse

    def broken(*args, **kwargs):
        raise IndexError("parser bug")

    monkeypatch.setattr(email_parse, "_walk", broken)
    with pytest.raises(UnreadableMessage, match=r"parser failed on it \(IndexError\)"):
        message_parse(corpus.with_forms("x"))


def test_headers_of_junk_do_not_raise():
    headers = message_headers(corpus.not_an_email())
    assert headers.message_id == "" and headers.date is None and headers.own_notice is False
