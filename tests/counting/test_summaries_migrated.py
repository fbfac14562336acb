"""Migrations 0014 and 0015 on a database that already holds requests: a delivery's requests are
numbered in the order they were made, and line health's traffic by day is counted from the faxes."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, DetainerRequest, LineDay, Source
from tests.factories import fax_received, pdf_bytes

BEFORE = [("detainers", "0013_line_health_index")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_requests_are_numbered_and_existing_faxes_counted(b3):
    email = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=timezone.now(),
        files=[IncomingFile(f"{n}.pdf", pdf_bytes(n), form=True) for n in (1, 2, 3)],
        from_address="agent@example.gov",
        external_id="<three@example.gov>",
    ).delivery
    day = datetime(2025, 6, 1, 12, tzinfo=UTC)
    for _ in range(2):
        fax_received(received_at=day, to_number="+16175550133")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()

    migrate(BEFORE)  # the sequence column and the summary table go
    migrate(latest)

    sequences = list(email.requests.order_by("pk").values_list("sequence", flat=True))
    assert sequences == [1, 2, 3]
    assert set(
        DetainerRequest.objects.exclude(delivery=email).values_list("sequence", flat=True)
    ) == {1}
    (line_day,) = LineDay.objects.all()
    assert (line_day.day, line_day.deliveries) == (day.date(), 2)
    assert line_day.fax_number == b3.fax_numbers.get()
