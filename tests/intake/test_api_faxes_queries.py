"""POST /api/v1/faxes/ is the hot path of intake (bench/intake): its queries are pinned, and the
answer it makes from the objects it just wrote says what reading them again would say."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.intake.selectors import fax_receipt_item
from detainers.intake.serializers import FaxReceiptSerializer
from detainers.models import Delivery, MissedFax
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/faxes/"

# The token with its user and roles (one query), the gateway_id looked up among deliveries and
# missed faxes (one), the dialled number's periods (one), the known sender (one); then, in the
# transaction (a savepoint here, inside the test's own): the delivery, its line's traffic by day
# (line health's summary), the document, the request, the event, the count cells (one
# executemany) and the open missed or partial faxes it may close (one). The answer is made from
# what was written, without reading it again.
FAX_QUERIES = 4 + 2 + 7


@pytest.fixture
def tasks_on_a_broker():
    """As in production: tasks go to the broker after the commit (which a test never reaches)."""
    from config.celery_app import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def fax_form(gateway_id: str, **fields) -> dict:
    return {
        "document": SimpleUploadedFile("fax.pdf", pdf_bytes(pages=2)),
        "to_number": "+1 617 555 0133",
        "from_number": "+1 202 555 0100",
        "received_at": "2024-03-15T09:30:00-04:00",
        "gateway_id": gateway_id,
        **fields,
    }


def test_it_accepts_a_fax_in_thirteen_queries(
    api_as, b3, tasks_on_a_broker, django_assert_num_queries
):
    gateway = api_as("gateway")
    gateway.post(URL, fax_form("gw-q0"))  # the token's first use notes it (once a minute)
    with django_assert_num_queries(FAX_QUERIES):
        response = gateway.post(URL, fax_form("gw-q1"))

    assert response.status_code == 201, response.json()
    assert Delivery.objects.filter(external_id="gw-q1").count() == 1


def test_the_answer_from_memory_is_the_item_read_again(api_as, b3, tasks_on_a_broker):
    response = api_as("gateway").post(URL, fax_form("gw-q2", sender_id=" hq  fax "))

    assert response.status_code == 201, response.json()
    delivery = Delivery.objects.get(external_id="gw-q2")
    read_again = FaxReceiptSerializer(fax_receipt_item(delivery_id=delivery.pk)).data
    assert response.json() == dict(read_again)
    assert response.json()["precinct"] == "B-3"


def test_a_retry_is_read_again_and_answered_200(api_as, b3, tasks_on_a_broker):
    gateway = api_as("gateway")
    first = gateway.post(URL, fax_form("gw-q3"))
    again = gateway.post(URL, fax_form("gw-q3"))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Delivery.objects.filter(external_id="gw-q3").count() == 1


def test_a_retry_of_a_failed_report_answers_with_the_missed_fax(api_as, b3, tasks_on_a_broker):
    gateway = api_as("gateway")
    failed = {"status": "failed", "to_number": "+1 617 555 0133", "from_number": ""}
    failed |= {"received_at": "2024-03-15T09:30:00-04:00", "gateway_id": "gw-q4"}
    first = gateway.post(URL, failed)
    again = gateway.post(URL, failed)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["missed_fax_id"] == first.json()["missed_fax_id"]
    assert MissedFax.objects.filter(external_id="gw-q4").count() == 1
    assert not Delivery.objects.exists()
