"""read_documents: the reading sweep for cron sites, and reading every waiting document at once."""

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from detainers.demo.filled_forms import filled_form_random
from detainers.demo.pages import form_pdf_text_layer
from detainers.intake import routing
from detainers.models import Delivery, DetainerRequest, Extraction
from tests.factories import fax_received

pytestmark = pytest.mark.django_db


def routed_fax(seed: int):
    form = replace(filled_form_random(random.Random(seed)), form_type="I-247A")
    delivery = fax_received(content=form_pdf_text_layer(form))
    routing.delivery_route(delivery_id=delivery.pk)
    return delivery, form


def test_inline_reads_what_waits_and_what_was_routed_before_reading_existed(b3, capsys):
    waiting, waiting_form = routed_fax(1)
    old, old_form = routed_fax(2)
    Extraction.objects.filter(document__delivery=old).delete()  # as after an upgrade
    Delivery.objects.filter(pk=old.pk).update(routed_at=timezone.now() - timedelta(days=400))
    call_command("read_documents", "--inline")
    assert "2 documents: 2 read, 0 could not be read." in capsys.readouterr().out
    assert not Extraction.objects.exclude(status=Extraction.Status.DONE).exists()
    assert DetainerRequest.objects.get(delivery=old).a_number == old_form.a_number
    assert DetainerRequest.objects.get(delivery=waiting).a_number == waiting_form.a_number
    call_command("read_documents", "--inline")  # nothing is read twice
    assert "0 documents: 0 read" in capsys.readouterr().out


def test_without_inline_it_enqueues_like_the_beat_sweep(b3, capsys):
    old, _ = routed_fax(3)
    Extraction.objects.filter(document__delivery=old).delete()
    call_command("read_documents")  # tasks run in-process in this test
    assert "1 documents enqueued for reading." in capsys.readouterr().out
    assert Extraction.objects.get(document__delivery=old).status == Extraction.Status.DONE
