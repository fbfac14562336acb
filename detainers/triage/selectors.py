"""Who sees which detainer request and document: every read of one goes through these."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.access import Role, roles_of
from detainers.core.identifiers import request_reference_parse
from detainers.models import DetainerRequest, Document


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


def request_for_user(*, user, pk: int) -> DetainerRequest | None:
    """Load one request and check access in the same step: None for one the user may not see."""
    return requests_visible_to(user).filter(pk=pk).first()


def document_for_user(*, user, pk: int) -> Document | None:
    """A document of a request the user may see, or None."""
    visible = requests_visible_to(user).values("delivery_id")
    return (
        Document.objects.filter(pk=pk, delivery_id__in=visible).select_related("delivery").first()
    )


def request_by_reference(*, user, text: str) -> DetainerRequest | None:
    """The request a person named ('DD-2026-000121', 'DD-2026-000121-2', '#121'), if the user may
    see it; None otherwise. A receipt's year must be the year its delivery was logged."""
    reference = request_reference_parse(text)
    if reference is None:
        return None
    visible = requests_visible_to(user)
    if reference.request_id is not None:
        return visible.filter(pk=reference.request_id).first()
    found = visible.filter(delivery_id=reference.delivery_id, sequence=reference.sequence).first()
    if found is None or timezone.localtime(found.delivery.logged_at).year != reference.year:
        return None
    return found
