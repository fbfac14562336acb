"""Where a request stands, as the account that reported it (the fax gateway) may know it.

The gateway reports faxes; it does not read them. Its answers hold only what it sent, and a status
made of its own delivery and of people's work, never of what the app found by reading the document
or by comparing it with other requests. The duplicate rules mark a request "duplicate" by
themselves when another request holds the same Event # (detainers.triage.services), and the status
everyone else sees then reads "reviewed" at once: shown to the gateway, that would answer "does
this Event # exist?" for anyone who can post a fax carrying one.

So for the gateway a request is reviewed once a person reviewed it. `reviewed_by` is set with every
disposition a person chooses and cleared with it (request_triage, request_duplicate_undo); an
automatic duplicate link sets the disposition and names no reviewer.
"""

from django.db.models import Q

from detainers.models import DetainerRequest

Status = DetainerRequest.Status


def reporter_status(*, request: DetainerRequest) -> str:
    """new, unreviewed or reviewed, as the fax gateway is told."""
    if request.reviewed_by_id is not None:
        return Status.REVIEWED
    return Status.UNREVIEWED if request.delivery.routed_at else Status.NEW


def reporter_status_filter(*, status: str) -> Q:
    """The requests `reporter_status` calls `status`, so a filter tells no more than the answer."""
    return {
        Status.NEW: Q(reviewed_by__isnull=True, delivery__routed_at__isnull=True),
        Status.UNREVIEWED: Q(reviewed_by__isnull=True, delivery__routed_at__isnull=False),
        Status.REVIEWED: Q(reviewed_by__isnull=False),
    }[status]
