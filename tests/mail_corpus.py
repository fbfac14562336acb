"""Awkward mail, built here rather than stored: each function returns the bytes of one message.

Names and addresses are made up. Agency mail comes from ice.dhs.gov (settings.AGENCY_EMAIL_DOMAINS).
"""

import base64
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from detainers.core.notice_header import NOTICE_HEADER, notice_header_value

from .factories import image_bytes, pdf_bytes

AGENCY = "ERO Boston <ero.boston@ice.dhs.gov>"
COLLEAGUE = "Sgt. Kelly <kelly@police.example.gov>"
CENTRAL = "detainers@police.example.gov"
TYPED_FORM = (
    "DEPARTMENT OF HOMELAND SECURITY\nIMMIGRATION DETAINER - NOTICE OF ACTION (I-247A)\n"
    "Subject ID: 123456789  Event #: BOS2403000001\nFile No: A012345678\n"
)


def _message(
    message_id: str | None, sender: str = AGENCY, subject: str = "Detainer", when=None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = CENTRAL
    message["Subject"] = subject
    message["Date"] = format_datetime(when or timezone.now())
    if message_id:
        message["Message-ID"] = f"<{message_id}@corpus.example>"
    return message


def _bytes(message: EmailMessage) -> bytes:
    """As it travels: CRLF line ends."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def with_forms(message_id: str, forms: int = 1, sender: str = AGENCY, when=None) -> bytes:
    """Agency mail with `forms` PDF detainer forms attached (two forms: two requests)."""
    message = _message(message_id, sender, when=when)
    message.set_content("Please find the detainer(s) attached.\n")
    for n in range(1, forms + 1):
        message.add_attachment(
            pdf_bytes(pages=n), maintype="application", subtype="pdf", filename=f"I-247A-{n}.pdf"
        )
    return _bytes(message)


def tiff_form(message_id: str) -> bytes:
    message = _message(message_id)
    message.set_content("Faxed copy attached.\n")
    message.add_attachment(
        image_bytes("TIFF", pages=2), maintype="image", subtype="tiff", filename="fax.tif"
    )
    return _bytes(message)


def form_in_body(message_id: str, sender: str = AGENCY) -> bytes:
    """The form typed into the message, no attachment."""
    message = _message(message_id, sender)
    message.set_content(TYPED_FORM)
    return _bytes(message)


def forwarded(message_id: str) -> bytes:
    """A colleague forwards the agency's message as an attachment (message/rfc822)."""
    inner = EmailMessage()
    inner["From"] = AGENCY
    inner["To"] = "b3@police.example.gov"
    inner["Subject"] = "I-247A"
    inner["Message-ID"] = f"<inner-{message_id}@ice.example>"
    inner.set_content("Detainer for your prisoner attached.\n")
    inner.add_attachment(
        pdf_bytes(), maintype="application", subtype="pdf", filename="detainer.pdf"
    )
    outer = _message(message_id, COLLEAGUE, subject="Fwd: I-247A")
    outer.set_content("This came to the precinct fax email; forwarding to central.\n")
    outer.add_attachment(inner)
    return _bytes(outer)


def html_only(message_id: str) -> bytes:
    message = _message(message_id)
    message.set_content(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Detainer for <b>John Doe</b></p><p>Subject ID: 123456789</p>"
        "<img src='https://tracker.example/pixel.gif'></body></html>",
        subtype="html",
    )
    return _bytes(message)


def with_inline_logo(message_id: str) -> bytes:
    """HTML with a logo shown inline (a Content-ID image): the logo is not a form."""
    message = _message(message_id, sender="Newsletter <news@vendor.example>")
    message.set_content("Our newsletter.\n")
    message.add_alternative("<p>Our newsletter <img src='cid:logo@vendor'></p>", subtype="html")
    message.get_payload()[1].add_related(
        image_bytes("PNG"), maintype="image", subtype="png", cid="<logo@vendor>"
    )
    return _bytes(message)


def not_a_detainer(message_id: str) -> bytes:
    message = _message(message_id, sender="Vendor <sales@vendor.example>", subject="Special offer")
    message.set_content("Buy our scanners.\n")
    return _bytes(message)


def own_notice(message_id: str, receipt_number: str = "DD-2026-000001") -> bytes:
    message = _message(
        message_id, sender="detainer-desk@localhost", subject=f"[Detainer Desk] {receipt_number}"
    )
    message[NOTICE_HEADER] = notice_header_value(receipt_number)
    message.set_content("A fax was received and is in the central inbox.\n")
    return _bytes(message)


def forged_notice(message_id: str) -> bytes:
    """Someone copies the header without the signature: it is read like any other mail."""
    message = _message(message_id)
    message[NOTICE_HEADER] = "notice DD-2026-000001:forged-signature"
    message.set_content(TYPED_FORM)
    return _bytes(message)


def _raw(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body


def latin1(message_id: str) -> bytes:
    return _raw(
        f"From: =?iso-8859-1?q?Jos=E9_Mu=F1oz?= <jose.munoz@ice.dhs.gov>\nTo: {CENTRAL}\n"
        f"Subject: =?iso-8859-1?q?Detenci=F3n?=\nMessage-ID: <{message_id}@corpus.example>\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-8859-1\n"
        "Content-Transfer-Encoding: 8bit\n",
        "Detenci\xf3n de Jos\xe9 Mu\xf1oz, A-number A012345678.\r\n".encode("latin-1"),
    )


def windows_1252(message_id: str) -> bytes:
    """Declared ISO-8859-1 but written in windows-1252 (curly quotes 0x93/0x94), as Outlook does."""
    return _raw(
        f"From: {AGENCY}\nTo: {CENTRAL}\nSubject: Detainer\n"
        f"Message-ID: <{message_id}@corpus.example>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n",
        b"The \x93detainer\x94 is attached \x96 see the form.\r\n",
    )


def shift_jis(message_id: str) -> bytes:
    subject = base64.b64encode("拘留".encode("shift_jis")).decode()
    return _raw(
        f"From: {AGENCY}\nTo: {CENTRAL}\nSubject: =?Shift_JIS?B?{subject}?=\n"
        f"Message-ID: <{message_id}@corpus.example>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit\n",
        "移民拘留要請書を添付します。\r\n".encode("shift_jis"),
    )


def unknown_charset(message_id: str) -> bytes:
    return _raw(
        f"From: {AGENCY}\nTo: {CENTRAL}\nSubject: =?x-made-up?q?Detainer?=\n"
        f"Message-ID: <{message_id}@corpus.example>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=x-made-up\nContent-Transfer-Encoding: 8bit\n",
        "Caf\xe9 on the corner, subject id 123456789.\r\n".encode("latin-1"),
    )


def encoded_names(message_id: str) -> bytes:
    """One file name in RFC 2231 (filename*=), one in RFC 2047 words (as Outlook sends them)."""
    pdf = base64.encodebytes(pdf_bytes()).decode().replace("\n", "\r\n")
    rfc2047 = "=?utf-8?B?" + base64.b64encode("Détention Muñoz.pdf".encode()).decode() + "?="
    return _raw(
        f"From: {AGENCY}\nTo: {CENTRAL}\nSubject: Forms\n"
        f"Message-ID: <{message_id}@corpus.example>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n',
        (
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTwo forms.\r\n"
            "--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment;\r\n"
            " filename*=UTF-8''%E6%8B%98%E7%95%99%20form.pdf\r\n\r\n"
            f"{pdf}"
            "--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{rfc2047}"\r\n\r\n'
            f"{pdf}"
            "--b1--\r\n"
        ).encode("ascii"),
    )


def no_message_id(subject_suffix: str) -> bytes:
    message = _message(None, subject=f"Detainer {subject_suffix}")
    message.set_content(TYPED_FORM)
    message.add_attachment(
        pdf_bytes(), maintype="application", subtype="pdf", filename="I-247A.pdf"
    )
    return _bytes(message)


def truncated(message_id: str) -> bytes:
    """A multipart cut off in the middle of its PDF: no closing boundary, base64 ends mid-line."""
    whole = with_forms(message_id)
    return whole[: len(whole) - 300]


def octet_stream_pdf(message_id: str) -> bytes:
    """A PDF declared as application/octet-stream under a meaningless name: known by content."""
    message = _message(message_id)
    message.set_content("Scan attached.\n")
    message.add_attachment(
        pdf_bytes(), maintype="application", subtype="octet-stream", filename="SCAN0001.bin"
    )
    return _bytes(message)


def winmail(message_id: str) -> bytes:
    """Outlook's TNEF: the attachment hides inside winmail.dat. Kept as sent, with a note."""
    message = _message(message_id, sender="Someone <someone@lawfirm.example>")
    message.set_content("See attached.\n")
    tnef = b"\x78\x9f\x3e\x22" + b"\x00" * 64 + b"I-247A.pdf"
    message.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return _bytes(message)


def not_an_email() -> bytes:
    """A file dropped into the mailbox folder by a careless script: no header at all."""
    return b"\x01\x02binary junk that is not a message\xff" * 20  # no NUL: IMAP cannot carry one


def oversize(message_id: str, size: int) -> bytes:
    message = _message(message_id)
    message.set_content("Very large scan.\n")
    message.add_attachment(
        pdf_bytes() + b"\n%" + b"x" * size,
        maintype="application",
        subtype="pdf",
        filename="big.pdf",
    )
    return _bytes(message)


def hard_cases() -> dict[str, bytes]:
    """Every awkward case once, by name (distinct Message-IDs)."""
    return {
        "two_forms": with_forms("two-forms", forms=2),
        "tiff_form": tiff_form("tiff-form"),
        "form_in_body": form_in_body("typed"),
        "forwarded": forwarded("forwarded"),
        "html_only": html_only("html-only"),
        "inline_logo": with_inline_logo("logo"),
        "not_a_detainer": not_a_detainer("offer"),
        "latin1": latin1("latin1"),
        "windows_1252": windows_1252("cp1252"),
        "shift_jis": shift_jis("sjis"),
        "unknown_charset": unknown_charset("unknown-charset"),
        "encoded_names": encoded_names("encoded-names"),
        "no_message_id": no_message_id("without id"),
        "truncated": truncated("truncated"),
        "octet_stream_pdf": octet_stream_pdf("octet"),
        "winmail": winmail("winmail"),
        "not_an_email": not_an_email(),
        "forged_notice": forged_notice("forged"),
    }
