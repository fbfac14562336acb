"""Test data: documents as real files of each kind, and deliveries made through the intake service."""

import io
import re
import uuid
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Source
from precincts.models import FaxNumber


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(kind: str = "TIFF", pages: int = 1) -> bytes:
    """A fax-like bilevel page (TIFF may hold several), or a PNG/JPEG scan."""
    frames = [
        Image.new("1" if kind == "TIFF" else "L", (1728, 200), color=1 if kind == "TIFF" else 255)
    ] * pages
    out = io.BytesIO()
    if kind == "TIFF":
        frames[0].save(
            out, format="TIFF", save_all=True, append_images=frames[1:], compression="group4"
        )
    else:
        frames[0].save(out, format=kind)
    return out.getvalue()


def fax_received(
    *, to_number="+16175550133", received_at=None, gateway_id="", actor=None, content=None, **extra
):
    """A fax reported by the gateway, through the one intake service."""
    return delivery_receive(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=received_at or timezone.now(),
        files=[IncomingFile("fax.pdf", pdf_bytes() if content is None else content)],
        to_number=to_number,
        from_address="+12025550100",
        external_id=gateway_id,
        actor=actor,
        **extra,
    ).delivery


def fax_report(name: str, content: bytes) -> dict:
    """The gateway's multipart post of one file (POST /api/v1/faxes/)."""
    return {
        "document": SimpleUploadedFile(name, content),
        "to_number": "+1 617 555 0133",
        "from_number": "+1 202 555 0100",
        "received_at": "2024-03-15T09:30:00-04:00",
    }


def intake_form(precinct, name: str, content: bytes) -> dict:
    """A clerk's intake form for one file, arrived an hour ago on the precinct's current line."""
    return {
        "received_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "late_reason": "",
        "fax_number": FaxNumber.objects.get(precinct=precinct, active_until__isnull=True).pk,
        "from_address": "",
        "pages": "",
        "scan": SimpleUploadedFile(name, content),
        "notes": "",
        "submission": uuid.uuid4().hex,
    }


def foreign_scripts(page: str) -> list[str]:
    """The <script> tags of a page other than the app's own static files (the session timer):
    markup a sender or reviewer typed must never become one."""
    return [
        tag
        for tag in re.findall(r"<script\b[^>]*>", page, flags=re.IGNORECASE)
        if not re.fullmatch(r'<script src="/static/[\w/.-]+\.js" defer>', tag)
    ]
