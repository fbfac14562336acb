"""Reading documents with a real Celery worker (queues `celery` and `extraction`) and a real Redis."""

import random
import shutil
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from detainers.demo.filled_forms import filled_form_random
from detainers.demo.pages import form_fax_tiff, form_pdf_text_layer
from detainers.models import DetainerRequest, Extraction
from tests.conftest import api_client_for, needs
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


def post_fax(gateway, name: str, content: bytes, gateway_id: str, received_at=None) -> int:
    response = api_client_for(gateway, token=True).post(
        "/api/v1/faxes/",
        {
            "document": SimpleUploadedFile(name, content),
            "to_number": "(617) 555-0133",
            "from_number": "+1 202 555 0100",
            "received_at": (received_at or timezone.now()).isoformat(),
            "gateway_id": gateway_id,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def read(request_id: int) -> bool:
    """Done or failed: a failure ends the wait, and the test's assertion says what it was."""
    return Extraction.objects.filter(
        document__delivery__requests=request_id, status__in=["done", "failed"]
    ).exists()


def reading_of(request_id: int) -> Extraction:
    extraction = Extraction.objects.get(document__delivery__requests=request_id)
    assert extraction.status == "done", extraction.error
    return extraction


def an_i247a(seed: int):
    form = filled_form_random(random.Random(seed))
    return form.__class__(**{**form.__dict__, "form_type": "I-247A"})


def test_the_worker_reads_a_faxed_form_and_fills_the_request(worker, b3, gateway):
    form = an_i247a(41)
    request_id = post_fax(gateway, "fax.pdf", form_pdf_text_layer(form), "read-1")
    wait_for(lambda: read(request_id), 60, what="document read by the worker")
    assert reading_of(request_id).method == "text_layer"
    request = DetainerRequest.objects.get(pk=request_id)
    assert (request.event_number, request.a_number) == (form.event_number, form.a_number)
    assert request.subject_name == form.subject_name


def test_the_worker_reads_a_fax_image_with_ocr(worker, b3, gateway):
    needs("Tesseract", shutil.which("tesseract") is not None)
    form = an_i247a(42)
    tiff = form_fax_tiff(form, rng=random.Random(42))
    request_id = post_fax(gateway, "fax.tif", tiff, "read-2")
    wait_for(lambda: read(request_id), 120, what="fax image read by the worker")
    extraction = reading_of(request_id)
    assert extraction.method == "ocr"
    assert form.event_number in extraction.text.replace(" ", "")


def test_the_same_detainer_faxed_twice_is_linked_by_the_worker(worker, b3, gateway):
    form = an_i247a(43)
    first = post_fax(
        gateway,
        "fax.pdf",
        form_pdf_text_layer(form),
        "twice-1",
        received_at=timezone.now() - timedelta(minutes=5),
    )
    second = post_fax(gateway, "fax.pdf", form_pdf_text_layer(form), "twice-2")
    wait_for(lambda: read(first) and read(second), 60, what="both read")
    assert reading_of(first) and reading_of(second)
    wait_for(
        lambda: DetainerRequest.objects.get(pk=second).duplicate_of_id == first,
        10,
        what="second linked to the first",
    )
    assert DetainerRequest.objects.get(pk=first).duplicate_of_id is None
