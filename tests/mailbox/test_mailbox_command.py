"""Reading the mailbox when none is configured, the beat entry, the inbox's health panel."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string
from django.utils import timezone

from detainers.mailbox import mailbox_health, tasks
from detainers.models import MailboxState

pytestmark = pytest.mark.django_db


def test_without_a_mailbox_the_task_does_nothing_and_the_command_says_how(settings):
    settings.CENTRAL_MAILBOX_URL = ""
    assert tasks.ingest_mailbox.apply().get() == 0
    with pytest.raises(CommandError, match="CENTRAL_MAILBOX_URL is not set.*imaps://"):
        call_command("ingest_mailbox", "--once")


def test_beat_reads_the_mailbox_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["ingest-mailbox"]
    assert entry == {"task": "detainers.tasks.ingest_mailbox", "schedule": 60.0}


def test_a_malformed_mailbox_url_is_refused_with_the_form_to_use(settings):
    settings.CENTRAL_MAILBOX_URL = "pop3://user@host"
    with pytest.raises(CommandError, match="must start with imap:// or imaps://"):
        call_command("ingest_mailbox", "--once")
    assert "imap://" in mailbox_health().last_error


def test_the_health_panel_shows_last_read_waiting_and_the_last_error(settings):
    settings.CENTRAL_MAILBOX_URL = "imaps://central:s3cret@mail.example.org/INBOX"
    MailboxState.objects.create(
        mailbox="imaps://central@mail.example.org:993/INBOX",
        last_read_at=timezone.now(),
        waiting=4,
        last_error='MailboxLoginError: Response status "OK" expected, but "NO" received',
        last_error_at=timezone.now(),
    )
    html = render_to_string("detainers/_mailbox_health.html", {"mailbox_health": mailbox_health()})
    assert "Last read" in html and "4 messages" in html and "MailboxLoginError" in html
    assert "s3cret" not in html


def test_the_health_panel_without_a_mailbox_says_so_and_tells_admins_how_to_set_one(settings):
    settings.CENTRAL_MAILBOX_URL = ""
    health = {"mailbox_health": mailbox_health()}
    to_supervisor = render_to_string("detainers/_mailbox_health.html", health)
    to_admin = render_to_string("detainers/_mailbox_health.html", health | {"nav": {"admin": True}})
    assert "The central mailbox is not connected; an administrator sets it up" in to_supervisor
    assert "CENTRAL_MAILBOX_URL" not in to_supervisor  # no configuration jargon for supervisors
    assert "set CENTRAL_MAILBOX_URL" in to_admin
