"""Reads for the clerk's page and the gateway's answer: what a precinct logged, what a fax became."""

from django.db.models import QuerySet

from detainers.models import Delivery, DetainerRequest


def precinct_recent_log(*, precinct_id: int, limit: int = 20) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(precinct_id=precinct_id)
        .select_related("fax_number", "logged_by")
        .order_by("-logged_at", "-pk")[:limit]
    )


def fax_receipt_item(*, delivery_id: int) -> DetainerRequest:
    """The first request of a delivery the gateway reported, as its answer shows it."""
    return (
        DetainerRequest.objects.select_related("delivery__precinct", "document")
        .filter(delivery_id=delivery_id)
        .order_by("pk")
        .first()
    )
