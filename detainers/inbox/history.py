"""A request's history in words: what each audit event says happened, and its changes with field
names, people, documents and requests as a reviewer knows them (never raw ids or file hashes).

Every action written through detainers.core.audit.event_record has a sentence here; an action added
later without one reads as its name in words ("Something happened" for "something_happened").
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from detainers.models import (
    Delivery,
    DetainerRequest,
    Disposition,
    Event,
    Extraction,
    FormType,
    ProbableCause,
)

SENTENCES = {
    "received": "Received and logged.",
    "routed": "Put in the central inbox.",
    "notice_sent": "The central inbox was told of it by email.",
    "triaged": "Changed in triage.",
    "fields_read": "Fields read off the form were filled in automatically.",
    "duplicate_linked": "Linked as a duplicate of an earlier request.",
    "duplicate_undone": "Marked as not a duplicate; it will not be linked automatically again.",
    "document_read": "The document was read automatically.",
    "document_not_read": "The document could not be read automatically.",
    "document_read_again": "Someone asked for the document to be read again.",
    "document_changed": "The request now points at the form found when the email was read again.",
    "document_viewed": "Opened the document.",
    "quarantine_retried": "The quarantined email was read again.",
    "precinct_assigned": "The precinct was assigned or corrected.",
    "missed_fax_received": "A fax call failed: nothing usable arrived.",
    "missed_fax_resend_asked": "The sender was asked to send the fax again.",
    "missed_fax_resent": "Marked as the fax sent again after a failed call.",
    "missed_fax_resend_unlinked": "Unlinked from the failed call it was thought to resend.",
    "partial_fax_resent": "The fax with lost pages was received again.",
    "partial_fax_resend_unlinked": "Reopened: the later fax was not the same one sent again.",
    "legal_hold_placed": "A legal hold was placed: nothing of it may be destroyed.",
    "legal_hold_released": "A legal hold was released.",
    "documents_destroyed": "Its documents were destroyed at the end of their retention period.",
    "raw_email_destroyed": "The email as received was destroyed at the end of its retention period.",
    "personal_data_destroyed": "The subject's personal fields were destroyed at the end of their "
    "retention period.",
    "caller_details_destroyed": "The caller's number and machine id were destroyed at the end of "
    "their retention period.",
    "document_views_destroyed": "The record of who opened its documents was destroyed at the end "
    "of its retention period.",
    "retention_rule_changed": "A retention rule was changed.",
    "reconciliation_confirmed": "Confirmed against the agency's list in a reconciliation.",
}

FIELD_LABELS = {
    "form_type": "Form type",
    "form_date": "Form date",
    "subject_id": "Subject ID",
    "event_number": "Event #",
    "a_number": "A-number",
    "subject_name": "Subject name",
    "date_of_birth": "Date of birth",
    "probable_cause": "Probable-cause basis",
    "notify_before_release": "Asks for notice before release",
    "hold_up_to_48_hours": "Asks to hold up to 48 hours",
    "warrant_attached": "Administrative warrant attached",
    "disposition": "Disposition",
    "duplicate_of": "Duplicate of",
    "duplicate_reason": "Why a duplicate",
    "legal_review": "Needs legal review",
    "legal_review_note": "Legal-review note",
    "held_beyond_release": "Held beyond release",
    "transferred_to_federal_custody": "Transferred to federal custody",
    "reimbursement_amount": "Federal reimbursement received ($)",
    "reviewed_by": "Reviewed by",
    "reviewed_at": "Reviewed at",
    "routed_at": "In the inbox since",
    "notice_sent_at": "Notice sent at",
    "received_at": "Received at",
    "resolved_by": "Received again as",
    "resend_closed_by": "Received again as",
    "resend_asked_at": "Asked to resend at",
    "quarantine_reason": "Quarantine reason",
    "extraction": "Reading",
    "rule": "Retention rule",
    "fields": "Fields",
    "caller": "Caller",
}
CHOICES = {
    "disposition": dict(Disposition.choices),
    "form_type": dict(FormType.choices),
    "probable_cause": dict(ProbableCause.choices),
    "extraction": dict(Extraction.Status.choices),
}


def event_sentence(action: str) -> str:
    """What happened, in a sentence; an unknown action reads as its name in words."""
    return SENTENCES.get(action) or f"{action.replace('_', ' ').capitalize()}."


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field) or field.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Names:
    """What the ids in a page's events stand for: requests by reference, people by user name,
    deliveries by receipt number, documents by their place in the delivery ("document 2")."""

    requests: dict[int, str]
    people: dict[int, str]
    deliveries: dict[int, str]
    documents: dict[int, str]

    @classmethod
    def of(cls, events: list[Event], delivery: Delivery) -> "Names":
        wanted: dict[str, set[int]] = {"requests": set(), "people": set(), "deliveries": set()}
        where = {
            "duplicate_of": "requests",
            "reviewed_by": "people",
            "resolved_by": "deliveries",
            "resend_closed_by": "deliveries",
        }
        for event in events:
            for field, values in event.changes.items():
                if field in where and isinstance(values, list):
                    wanted[where[field]] |= {v for v in values if isinstance(v, int)}
        requests = DetainerRequest.objects.filter(pk__in=wanted["requests"])
        people = get_user_model().objects.filter(pk__in=wanted["people"])
        deliveries = Delivery.objects.filter(pk__in=wanted["deliveries"])
        documents = delivery.documents.order_by("pk").values_list("pk", flat=True)
        return cls(
            requests={r.pk: r.reference for r in requests.select_related("delivery")},
            people={person.pk: person.get_username() for person in people},
            deliveries={found.pk: found.receipt_number for found in deliveries},
            documents={pk: f"document {n}" for n, pk in enumerate(documents, start=1)},
        )

    def value(self, field: str, value):
        """An id, hash list or choice of `field` as a person reads it."""
        if field == "duplicate_of":
            return self.requests.get(value, "an earlier request")
        if field == "reviewed_by":
            return self.people.get(value, "someone")
        if field in ("resolved_by", "resend_closed_by"):
            return self.deliveries.get(value, "a later delivery")
        if field == "document":
            return self.documents.get(value, "a document")
        if field == "documents" and isinstance(value, list):
            return f"{len(value)} file{'' if len(value) == 1 else 's'}"
        if field == "fields" and isinstance(value, list):
            return ", ".join(field_label(name) for name in value)
        if field in CHOICES:
            return CHOICES[field].get(value, value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return value
