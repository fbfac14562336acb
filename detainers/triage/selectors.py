"""Who sees which detainer request and document: every read of one goes through these."""

from django.db.models import Q, QuerySet

from accounts.access import Role, roles_of
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
