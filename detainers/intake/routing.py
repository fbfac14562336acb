"""Moving accepted deliveries into the central inbox, exactly once, and announcing each one once.

Both steps claim their row with a conditional UPDATE inside a transaction, so whichever worker,
retry or sweep gets there first wins and every other attempt finds nothing to do. A worker that dies
mid-way rolls its transaction back, and the sweep picks the delivery up again.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.core.notice_header import NOTICE_HEADER, notice_header_value
from detainers.extraction.services import extractions_create
from detainers.models import Delivery, InboxEntry

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
# Longer than any task may run (CELERY_TASK_TIME_LIMIT): a claim older than this was abandoned.
NOTICE_LEASE = timedelta(minutes=10)


def send_mail(
    *,
    subject: str,
    message: str,
    from_email: str,
    recipient_list: list[str],
    fail_silently: bool,
    headers: dict,
) -> int:
    """django.core.mail.send_mail with headers (the notice header above)."""
    email = EmailMessage(subject, message, from_email, recipient_list, headers=headers)
    return email.send(fail_silently=fail_silently)


def delivery_route_and_announce(*, delivery_id: int, claimed_by: str = "") -> None:
    """Both steps for one delivery (the routing tasks): each is safe to run any number of times.
    `claimed_by` is the calling task's id (see delivery_send_notice)."""
    delivery_route(delivery_id=delivery_id)
    delivery_send_notice(delivery_id=delivery_id, claimed_by=claimed_by)


def delivery_route(*, delivery_id: int) -> bool:
    """Put the delivery in the central inbox. True if this call did it, False if it was already done."""
    with transaction.atomic():
        claimed = Delivery.objects.filter(pk=delivery_id, routed_at__isnull=True).update(
            routed_at=timezone.now()
        )
        if claimed != 1:
            return False
        delivery = Delivery.objects.get(pk=delivery_id)
        InboxEntry.objects.create(delivery=delivery)
        event_record(
            action="routed", delivery=delivery, changes={"routed_at": (None, delivery.routed_at)}
        )
        # Reading the documents comes after routing, on its own queue: never in intake's way.
        extractions_create(delivery=delivery)
    logger.info("delivery %s routed to the central inbox", delivery_id)
    return True


def delivery_send_notice(*, delivery_id: int, claimed_by: str = "") -> bool:
    """Email CENTRAL_INBOX_EMAIL once about a routed delivery. No personal data in the subject.

    An email cannot be taken back, so the claim is committed before sending: a database that fails
    after the mail server took the message cannot make a retry send it again. The claim is given back
    if sending fails. A claim left by a worker that died before sending lapses after NOTICE_LEASE and
    the sweep sends the notice then; but the task that made it (`claimed_by`: its Celery task id,
    then its worker's name)
    takes it back at once: with acks_late and reject_on_worker_lost a task whose worker process
    died is handed out again, with its id, seconds later. Other tasks (the sweep's, a retry of a
    batch) and callers without an id (claimed_by="") wait for the lease.

    The broker hands out one task twice at once only if a worker lost its connection and put back
    what it held while still running it (visibility_timeout, an hour, outlasts any task): a second
    notice would then need both copies inside the moment between the claim and the send.
    """
    claimed_at = timezone.now()
    free = Q(notice_claimed_at__isnull=True) | Q(notice_claimed_at__lt=claimed_at - NOTICE_LEASE)
    if claimed_by:
        # The same task (its id comes first), whichever worker it ran on before.
        task_id = claimed_by.split(" ", 1)[0]
        free |= Q(notice_claimed_by=task_id) | Q(notice_claimed_by__startswith=f"{task_id} ")
    with transaction.atomic():
        claimed = (
            Delivery.objects.filter(
                pk=delivery_id, routed_at__isnull=False, notice_sent_at__isnull=True
            )
            .filter(free)
            .update(notice_claimed_at=claimed_at, notice_claimed_by=claimed_by)
        )
    if claimed != 1:
        return False
    delivery = Delivery.objects.select_related("precinct").get(pk=delivery_id)
    try:
        send_mail(**notice_message(delivery), fail_silently=False)
    except Exception:
        Delivery.objects.filter(pk=delivery_id, notice_claimed_at=claimed_at).update(
            notice_claimed_at=None, notice_claimed_by=""
        )
        raise
    _notice_sent(delivery_id, claimed_at)
    return True


def notice_claims_release(*, node: str) -> int:
    """A worker starting under the name `node` (before it takes any task) frees the notices its
    earlier run claimed and never sent: that run is dead, since one name runs once, and its tasks
    come back only after the broker's visibility timeout (an hour). Freed, they go out with the
    next sweep instead of after NOTICE_LEASE. Returns how many were freed."""
    if not node:
        return 0
    return Delivery.objects.filter(
        notice_sent_at__isnull=True, notice_claimed_by__endswith=f" {node}"
    ).update(notice_claimed_at=None, notice_claimed_by="")


def _notice_sent(delivery_id: int, claimed_at) -> None:
    """Record the sent notice, waiting out a database restart rather than leaving it unrecorded."""
    for pause in (0, 1, 2, 4, 8, 15, 30):
        time.sleep(pause)
        try:
            with transaction.atomic():
                sent_at = timezone.now()
                Delivery.objects.filter(pk=delivery_id, notice_claimed_at=claimed_at).update(
                    notice_sent_at=sent_at
                )
                event_record(
                    action="notice_sent",
                    delivery=Delivery.objects.get(pk=delivery_id),
                    changes={"notice_sent_at": (None, sent_at)},
                )
            return
        except (OperationalError, InterfaceError):
            connection.close()  # a fresh connection for the next attempt
        except Exception as error:  # noqa: BLE001 - raising would send it again (below)
            # Any other failure is not waited out, and never raised: the task would be retried
            # with its own id, take back its own claim and send the notice a second time.
            logger.error(
                "notice for delivery %s was sent but could not be recorded (%s)",
                delivery_id,
                type(error).__name__,
            )
            return
    logger.error("notice for delivery %s was sent but could not be recorded", delivery_id)


def notice_message(delivery: Delivery) -> dict:
    """The notice: receipt number, precinct, time and a link to the item; no personal data. Its
    text (and the link, from the URL names) is a template: templates/detainers/email/notice.txt."""
    where = delivery.precinct.code if delivery.precinct else "unknown precinct"
    first_request = delivery.requests.order_by("pk").first()
    body = render_to_string(
        "detainers/email/notice.txt",
        {
            "channel": delivery.get_channel_display().lower(),
            "receipt_number": delivery.receipt_number,
            "where": where,
            "received": timezone.localtime(delivery.received_at),
            "site_url": settings.SITE_URL.rstrip("/"),
            "request_id": first_request.pk if first_request else None,
        },
    )
    return {
        "subject": f"[Detainer Desk] {delivery.receipt_number} received ({delivery.get_channel_display()}, {where})",
        "message": body,
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "recipient_list": [settings.CENTRAL_INBOX_EMAIL],
        "headers": {NOTICE_HEADER: notice_header_value(delivery.receipt_number)},
    }


def deliveries_pending() -> list[int]:
    """Ids of deliveries that should be in the inbox (or announced) by now and are not."""
    cutoff = timezone.now() - timedelta(seconds=settings.ROUTING_SWEEP_AFTER_SECONDS)
    unrouted = Delivery.objects.filter(routed_at__isnull=True, logged_at__lt=cutoff)
    unannounced = Delivery.objects.filter(routed_at__lt=cutoff, notice_sent_at__isnull=True).filter(
        Q(notice_claimed_at__isnull=True) | Q(notice_claimed_at__lt=timezone.now() - NOTICE_LEASE)
    )
    ids = list(unrouted.values_list("pk", flat=True)[:SWEEP_BATCH])
    ids += list(unannounced.values_list("pk", flat=True)[:SWEEP_BATCH])
    return sorted(set(ids))
