"""Reads about deliveries and requests, always scoped to what the user may see."""

from datetime import timedelta

from django.db.models import Case, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from accounts.access import Role, roles_of

from .models import Delivery, DetainerRequest, Document

UNREVIEWED_TOO_LONG = timedelta(hours=24)


def requests_visible_to(user) -> QuerySet[DetainerRequest]:
    """Supervisors see every request; a clerk those of their own precinct; the fax gateway those it
    reported; anyone else nothing. Admins manage the system, not the records: they see nothing here
    unless they are also supervisors."""
    held = roles_of(user)
    requests = DetainerRequest.objects.select_related("delivery", "delivery__precinct")
    if Role.SUPERVISOR in held:
        return requests
    scope = Q(pk__in=[])
    if Role.CLERK in held and user.precinct_id:
        scope |= Q(delivery__precinct_id=user.precinct_id)
    if Role.GATEWAY in held:
        scope |= Q(delivery__logged_by=user, delivery__source="gateway")
    return requests.filter(scope)


def request_for_user(*, user, pk: int) -> DetainerRequest:
    """Load one request and check access in the same step: 404 for a request the user may not see."""
    request = requests_visible_to(user).filter(pk=pk).first()
    if request is None:
        raise Http404("No such request.")
    return request


def document_for_user(*, user, pk: int) -> Document:
    visible = requests_visible_to(user).values("delivery_id")
    document = (
        Document.objects.filter(pk=pk, delivery_id__in=visible).select_related("delivery").first()
    )
    if document is None:
        raise Http404("No such document.")
    return document


def status_filter(status: str) -> Q:
    return {
        DetainerRequest.Status.NEW: Q(delivery__routed_at__isnull=True, disposition=""),
        DetainerRequest.Status.UNREVIEWED: Q(delivery__routed_at__isnull=False, disposition=""),
        DetainerRequest.Status.REVIEWED: ~Q(disposition=""),
    }[status]


def inbox_requests(
    *, precinct_id=None, channel: str = "", status: str = ""
) -> QuerySet[DetainerRequest]:
    """The central inbox: routed requests, unreviewed first, oldest first."""
    requests = (
        DetainerRequest.objects.filter(delivery__routed_at__isnull=False)
        .select_related("delivery", "delivery__precinct")
        .annotate(reviewed_rank=Case(When(disposition="", then=Value(0)), default=Value(1)))
        .order_by("reviewed_rank", "delivery__received_at", "pk")
    )
    if precinct_id == "none":
        requests = requests.filter(delivery__precinct__isnull=True)
    elif precinct_id:
        requests = requests.filter(delivery__precinct_id=precinct_id)
    if channel:
        requests = requests.filter(delivery__channel=channel)
    if status:
        requests = requests.filter(status_filter(status))
    return requests


def is_overdue(request: DetainerRequest) -> bool:
    return (
        not request.disposition
        and request.delivery.received_at < timezone.now() - UNREVIEWED_TOO_LONG
    )


def precinct_recent_log(*, precinct_id: int, limit: int = 20) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(precinct_id=precinct_id)
        .select_related("fax_number", "logged_by")
        .order_by("-logged_at", "-pk")[:limit]
    )
