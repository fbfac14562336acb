"""Retention tests: a past year with every kind of record retention applies to, its report closed.

2022 (closed 15 January 2023, every rule one year: due since 15 January 2024):
- two faxes whose requests name the same person, the second marked a duplicate of the first; the
  first's form was read (an Extraction with the personal values), the first was triaged (its
  audit event holds the name);
- an email from the agency with one form: its raw message, the form, the message's text;
- a missed fax with the caller's number and machine id;
- a look at the first fax's document (a document_viewed event made in 2022).
"""

from dataclasses import dataclass
from datetime import date

import pytest
from django.apps import apps
from django.core.management import call_command

from detainers.counting.annual import annual_figures, annual_report_close
from detainers.inbox.documents import document_viewed
from detainers.intake.routing import delivery_route
from detainers.mailbox.messages import Origin, message_ingest
from detainers.models import (
    ClosedYear,
    Delivery,
    DetainerRequest,
    Disposition,
    Event,
    Extraction,
    FormType,
    MissedFax,
    ProbableCause,
    RecordKind,
    RetentionRule,
    Source,
)
from detainers.triage.services import request_triage
from tests import mail_corpus as corpus
from tests.conftest import local
from tests.factories import fax_received

YEAR = 2022
A_NUMBER = "A012345678"
NAME = "DOE, JANE"


@dataclass
class Scene:
    first: DetainerRequest
    duplicate: DetainerRequest
    emailed: DetainerRequest
    missed: MissedFax
    view: Event

    @property
    def fax(self) -> Delivery:
        return self.first.delivery

    @property
    def email(self) -> Delivery:
        return self.emailed.delivery

    def raw_email(self):
        return self.email.mail_messages.get().raw


@pytest.fixture
def rules_of_one_year(db, settings):
    """Every kind kept one year after its year's clock starts; purges never wait for approval
    unless a test lowers the threshold."""
    for kind in RecordKind.values:
        RetentionRule.objects.update_or_create(kind=kind, defaults={"period": 1, "unit": "years"})
    settings.PURGE_APPROVAL_THRESHOLD = 1000


def close_year(year: int, actor, closed_on=None) -> ClosedYear:
    closed = annual_report_close(year=year, actor=actor)
    ClosedYear.objects.filter(pk=closed.pk).update(closed_at=closed_on or local(year + 1, 1, 15))
    return ClosedYear.objects.get(pk=closed.pk)


def faxed(when) -> DetainerRequest:
    delivery = fax_received(received_at=when)
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.get()


def year_of_records(year: int, supervisor) -> Scene:
    first = faxed(local(year, 3, 1, 10))
    request_triage(
        request_id=first.pk,
        actor=supervisor,
        changes={
            "subject_name": NAME,
            "a_number": A_NUMBER,
            "date_of_birth": date(1990, 1, 2),
            "citizenship": "MEXICO",
            "sex": "F",
            "form_type": FormType.I247A,
            "probable_cause": ProbableCause.FINAL_ORDER,
            "disposition": Disposition.NOT_ACTED_UPON,
        },
    )
    Extraction.objects.update_or_create(
        document=first.delivery.documents.get(),
        defaults={
            "status": Extraction.Status.DONE,
            "text": f"Name of Alien: {NAME}\nFile No: {A_NUMBER}",
            "fields": {
                "subject_name": {"value": NAME, "confidence": 1.0},
                "a_number": {"value": A_NUMBER, "confidence": 1.0},
                "form_type": {"value": "I-247A", "confidence": 1.0},
            },
        },
    )
    second = faxed(local(year, 3, 2, 10))
    request_triage(
        request_id=second.pk,
        actor=supervisor,
        changes={"a_number": A_NUMBER, "duplicate_of": first.pk},
    )

    copy = message_ingest(
        raw=corpus.with_forms(f"retention-{year}", when=local(year, 4, 1, 9)),
        origin=Origin(mailbox="file://import", internal_date=local(year, 4, 1, 9)),
    )
    delivery_route(delivery_id=copy.delivery_id)
    emailed = copy.delivery.requests.get()

    missed = MissedFax.objects.create(
        source=Source.GATEWAY,
        received_at=local(year, 5, 1, 8),
        to_number="+16175550133",
        from_address="+12025550100",
        sender_id="ICE ERO BOS",
        error="Reception failed after page 1.",
    )
    document_viewed(actor=supervisor, document=first.delivery.documents.get())
    view = Event.objects.filter(action="document_viewed").latest("pk")
    Event.objects.filter(pk=view.pk).update(at=local(year, 6, 1, 12))
    return Scene(
        DetainerRequest.objects.get(pk=first.pk),
        DetainerRequest.objects.get(pk=second.pk),
        emailed,
        missed,
        view,
    )


@pytest.fixture
def scene(rules_of_one_year, b3, supervisor) -> Scene:
    built = year_of_records(YEAR, supervisor)
    close_year(YEAR, supervisor)
    return built


def every_table() -> dict[str, list[dict]]:
    """Every row of every table, to show that something changed nothing."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
    }


def figures_of(year: int) -> list:
    return [(figure.key, figure.value) for figure in annual_figures(year=year)]


def counts_agree() -> bool:
    """`python manage.py rebuild_counts --check`: exits 1 (CommandError) when they differ."""
    call_command("rebuild_counts", "--check")
    return True
