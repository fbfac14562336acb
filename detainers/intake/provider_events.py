"""A cloud provider's fax events: stored before the webhook is answered, then each made a reception.

The webhook's answer is the provider's receipt: a provider retries whatever was not answered 2xx,
so an event is answered only once its row is committed, and a replayed event (same provider, same
fax id) is answered again without storing anything.

- failed: a missed fax, at once, in the webhook's own transaction (there is nothing to fetch);
- received or partial with the document in the request (Phaxio): the delivery, also at once;
- received or partial with a URL (Telnyx, Documo): the event waits, `pending`, for the task
  `provider_fax_fetch`, which downloads the document (detainers.intake.media_fetch) and makes the
  delivery; it tries again later while the provider is not ready, and after its last attempt the
  event is `gave_up`, with the reason in `last_error`. Nothing is deleted: a given-up event stays
  listed (`provider_events_given_up`) for a supervisor to ask the sender to send the fax again.

Each fetch claims its attempt with a conditional UPDATE (attempts = n -> n + 1, still pending), so
a copy of the task (re-enqueued by the sweep, redelivered after a worker died) never fetches twice.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from detainers.core.enqueue import task_enqueue_after_commit
from detainers.intake.media_fetch import MediaNotReady, MediaRefused, media_fetch
from detainers.intake.providers import ProviderFax, media_authorization, provider_fax_read
from detainers.intake.receptions import fax_reception_record
from detainers.intake.services import IncomingFile
from detainers.intake.storage import intake_transaction
from detainers.intake.tasks import provider_fax_fetch as provider_fax_fetch_task
from detainers.models import ProviderEvent, Source

logger = logging.getLogger(__name__)

State = ProviderEvent.State
Kind = ProviderEvent.Kind
PARTIAL_NOTE = "The provider reported pages missing from this fax."


class FetchLater(Exception):
    """This attempt did not get the document; the task tries again later (the message says why)."""


@dataclass(frozen=True)
class EventReceipt:
    event: ProviderEvent
    created: bool


def provider_event_record(*, fax: ProviderFax) -> EventReceipt:
    """Store one provider event (once per provider and fax id) and do what can be done at once."""
    earlier = ProviderEvent.objects.filter(provider=fax.provider, fax_id=fax.fax_id).first()
    if earlier is not None:
        return EventReceipt(earlier, created=False)
    try:
        with intake_transaction():
            event = ProviderEvent.objects.create(
                provider=fax.provider, fax_id=fax.fax_id, kind=fax.kind, payload=fax.payload
            )
            _first_steps(event, fax)
    except IntegrityError:
        # The provider sent the same event twice at once; the other copy was stored.
        earlier = ProviderEvent.objects.filter(provider=fax.provider, fax_id=fax.fax_id).first()
        if earlier is None:
            raise
        return EventReceipt(earlier, created=False)
    logger.info("%s event %s stored (%s, %s)", fax.provider, event.pk, fax.kind, event.state)
    return EventReceipt(event, created=True)


def _first_steps(event: ProviderEvent, fax: ProviderFax) -> None:
    if fax.kind == Kind.FAILED:
        reception = _reception_record(event, fax, document=None)
        _finish(event, state=State.DONE, missed_fax=reception.missed_fax)
    elif fax.document is not None:
        try:
            with intake_transaction():
                reception = _reception_record(event, fax, document=fax.document)
        except ValidationError as refusal:
            _finish(event, state=State.GAVE_UP, last_error=_refusal_text(refusal))
        else:
            _finish(event, state=State.DONE, delivery=reception.delivery)
    elif not fax.media_url:
        _finish(event, state=State.GAVE_UP, last_error="The provider sent no document and no URL.")
    else:
        task_enqueue_after_commit(
            provider_fax_fetch_task, event.pk, 0, what=f"provider event {event.pk} fetch"
        )


def provider_event_fetch(*, event_id: int, attempt: int, last_attempt: bool) -> str:
    """Attempt number `attempt` (from 0) to fetch the event's document and record the fax. Returns
    the event's state; raises FetchLater when the task should try again. An attempt already made
    (or an event no longer pending) does nothing."""
    claimed = ProviderEvent.objects.filter(
        pk=event_id, state=State.PENDING, attempts=attempt
    ).update(attempts=attempt + 1)
    event = ProviderEvent.objects.get(pk=event_id)
    if not claimed:
        return event.state
    fax = provider_fax_read(event.provider, event.payload)
    if fax is None or not fax.media_url:  # stored events always name one; kept in case of a bug
        return _give_up(event, "The stored event names no document to fetch.")
    try:
        content = media_fetch(
            url=fax.media_url,
            allowed=settings.FAX_MEDIA_ALLOWED_URLS,
            max_bytes=settings.FAX_MEDIA_MAX_BYTES,
            timeout=settings.FAX_MEDIA_TIMEOUT_SECONDS,
            authorization=media_authorization(fax.provider, fax.media_url),
        )
    except MediaRefused as refusal:
        return _give_up(event, str(refusal))
    except MediaNotReady as not_ready:
        if last_attempt:
            return _give_up(event, f"{not_ready} Gave up after {attempt + 1} attempts.")
        ProviderEvent.objects.filter(pk=event_id).update(last_error=str(not_ready))
        raise FetchLater(str(not_ready)) from None
    document = IncomingFile("fax.pdf" if content.startswith(b"%PDF") else "fax.tif", content)
    try:
        with intake_transaction():
            reception = _reception_record(event, fax, document=document)
            _finish(event, state=State.DONE, delivery=reception.delivery)
    except ValidationError as refusal:
        return _give_up(event, _refusal_text(refusal))
    logger.info("provider event %s: document fetched, delivery %s", event.pk, event.delivery_id)
    return event.state


def provider_event_give_up(*, event_id: int, reason: str) -> str:
    """Give up a pending event (the task's last attempt ended in an unexpected error)."""
    event = ProviderEvent.objects.get(pk=event_id)
    if event.state != State.PENDING:
        return event.state
    return _give_up(event, reason)


def _reception_record(event: ProviderEvent, fax: ProviderFax, *, document: IncomingFile | None):
    error = fax.error
    if fax.kind == Kind.PARTIAL:
        error = "\n".join(note for note in (PARTIAL_NOTE, fax.error) if note)
    return fax_reception_record(
        source=Source.PROVIDER,
        status=fax.kind,  # the kinds are the reception statuses
        received_at=fax.received_at or event.stored_at,
        to_number=fax.to_number,
        from_number=fax.from_number,
        sender_id=fax.sender_id,
        external_id=f"{fax.provider}:{fax.fax_id}",
        pages=fax.pages,
        error=error or ("The provider reported the reception failed." if document is None else ""),
        document=document,
    )


def _finish(event: ProviderEvent, *, state: str, last_error: str = "", **links) -> None:
    event.state, event.last_error = state, last_error
    for field, value in links.items():
        setattr(event, field, value)
    event.save(update_fields=["state", "last_error", *links])


def _give_up(event: ProviderEvent, reason: str) -> str:
    with transaction.atomic():
        _finish(event, state=State.GAVE_UP, last_error=reason)
    # The reason names no person, number or URL: it is safe to log.
    logger.warning("provider event %s gave up: %s", event.pk, reason)
    return event.state


def _refusal_text(refusal: ValidationError) -> str:
    return "The provider's document was refused: " + " ".join(refusal.messages)


# --- Reads --------------------------------------------------------------------------------------


def provider_events_pending(*, stored_before: datetime) -> list[tuple[int, int, datetime]]:
    """(id, attempts, stored_at) of the events still waiting for their document, stored before
    the moment given; the sweep decides which of them lost their task."""
    return list(
        ProviderEvent.objects.filter(state=State.PENDING, stored_at__lt=stored_before)
        .order_by("pk")
        .values_list("pk", "attempts", "stored_at")
    )


def provider_events_given_up() -> QuerySet[ProviderEvent]:
    """Events whose document could not be had, newest first: each is a fax the provider took
    that nobody here has seen. They stay listed (never deleted)."""
    return ProviderEvent.objects.filter(state=State.GAVE_UP).order_by("-stored_at", "-pk")
