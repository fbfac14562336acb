"""Reads for the clerk's page and the gateway's answer: what a precinct logged, what a fax became."""

from datetime import date, datetime, time, timedelta

from django.db.models import Min, QuerySet
from django.utils import timezone

from detainers.models import Delivery, DetainerRequest, Document, Source
from detainers.triage.selectors import request_by_reference


def precinct_recent_log(*, precinct_id: int, limit: int = 20) -> QuerySet[Delivery]:
    """The precinct's latest faxes by the time they arrived, whoever logged them."""
    return (
        Delivery.objects.filter(precinct_id=precinct_id)
        .select_related("fax_number", "logged_by")
        .order_by("-received_at", "-pk")[:limit]
    )


def clerk_log(*, clerk, receipt: str = "", received_on: date | None = None) -> QuerySet[Delivery]:
    """The faxes this clerk logged at their precinct, latest received first, each with `scan_id`
    (its first document). `receipt` is a receipt number in any spelling request_by_reference
    accepts; `received_on` a local day."""
    deliveries = Delivery.objects.filter(
        logged_by=clerk, precinct_id=clerk.precinct_id, source=Source.CLERK
    )
    if receipt:
        named = request_by_reference(user=clerk, text=receipt)
        deliveries = deliveries.filter(pk=named.delivery_id) if named else deliveries.none()
    if received_on is not None:
        start = timezone.make_aware(datetime.combine(received_on, time.min))
        end = timezone.make_aware(datetime.combine(received_on + timedelta(days=1), time.min))
        deliveries = deliveries.filter(received_at__gte=start, received_at__lt=end)
    return (
        deliveries.select_related("fax_number")
        .annotate(scan_id=Min("documents__id"))
        .order_by("-received_at", "-pk")
    )


def scan_logged_before(*, precinct_id: int, sha256: str, submission_key: str) -> Document | None:
    """The first document of the precinct with this content, by any channel, other than the one
    the same form (`submission_key`, services.clerk_submission_key) already logged."""
    return (
        Document.objects.filter(sha256=sha256, delivery__precinct_id=precinct_id)
        .exclude(delivery__external_id=submission_key)
        .select_related("delivery")
        .order_by("delivery__received_at", "pk")
        .first()
    )


def fax_receipt_item(*, delivery_id: int) -> DetainerRequest:
    """The first request of a delivery the gateway reported, as its answer shows it."""
    return (
        DetainerRequest.objects.select_related("delivery__precinct", "document")
        .filter(delivery_id=delivery_id)
        .order_by("pk")
        .first()
    )
