"""The central mailbox against a real IMAP server (a throwaway Dovecot): read everything, double
nothing, delete nothing, and survive a crash or the server going away mid-run. After each run the
folders are checked on the server itself."""

import pytest
from django.core.management import call_command

from detainers.mailbox import imap as imap_module
from detainers.mailbox import mailbox_health, mailbox_ingest, mailbox_retry_quarantined, tasks
from detainers.models import Delivery, DetainerRequest, Document, MailboxState, MailMessage
from tests import mail_corpus as corpus

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def message_ids(raws: list[bytes]) -> set[bytes]:
    return {
        line.split(b":", 1)[1].strip()
        for raw in raws
        for line in raw.split(b"\r\n")
        if line.lower().startswith(b"message-id:")
    }


def test_it_reads_every_hard_case_and_files_each_on_the_server(imap):
    cases = corpus.hard_cases()
    imap.append(*cases.values())
    summary = mailbox_ingest()
    assert summary.error == "" and summary.failed == 0
    assert (summary.ingested, summary.quarantined, summary.moved) == (len(cases) - 1, 1, len(cases))
    assert imap.count("INBOX") == 0
    assert imap.count("Processed") == len(cases) - 1
    assert imap.contents("Quarantine") == [cases["not_an_email"]]
    assert Delivery.objects.count() == len(cases)
    assert (
        DetainerRequest.objects.count() == len(cases) + 2
    )  # two forms in one, two encoded-name forms
    # Each delivery keeps the message exactly as the server had it.
    assert MailMessage.objects.count() == len(cases)
    for copy in MailMessage.objects.select_related("raw"):
        assert copy.raw.file.read() in cases.values()
        assert copy.moved_to == copy.folder
    state = MailboxState.objects.get()
    assert state.last_read_at is not None and state.waiting == 0 and state.last_error == ""


def test_the_same_message_delivered_twice_is_one_delivery(imap):
    raw = corpus.with_forms("twice")
    imap.append(raw, b"Received: from relay2.example\r\n" + raw)
    summary = mailbox_ingest()
    assert (summary.ingested, summary.duplicates) == (1, 1)
    assert Delivery.objects.count() == 1
    assert imap.count("INBOX") == 0 and imap.count("Processed") == 2


def test_the_same_message_in_two_folders_is_one_delivery(imap, dovecot_server):
    raw = corpus.with_forms("two-folders")
    imap.append(raw, folder="Archive")
    imap.append(raw)
    first = mailbox_ingest(url=dovecot_server.url("Archive"))
    second = mailbox_ingest()
    assert (first.ingested, second.duplicates) == (1, 1)
    assert Delivery.objects.count() == 1
    assert imap.count("Archive") == 0 and imap.count("INBOX") == 0 and imap.count("Processed") == 2


def test_a_crash_between_commit_and_move_doubles_nothing(imap, monkeypatch):
    imap.append(*(corpus.with_forms(f"crash-{n}") for n in range(3)))

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed before the move")

    monkeypatch.setattr(imap_module, "_move", crash)
    crashed = mailbox_ingest()
    assert crashed.ingested == 3 and "worker killed" in crashed.error
    assert Delivery.objects.count() == 3 and imap.count("INBOX") == 3  # committed, not moved

    monkeypatch.undo()
    resumed = mailbox_ingest()
    assert resumed.read == 0 and resumed.moved == 3 and resumed.error == ""
    assert Delivery.objects.count() == 3 and MailMessage.objects.count() == 3
    assert imap.count("INBOX") == 0 and imap.count("Processed") == 3


def test_a_copy_recorded_by_a_run_that_died_is_only_moved(imap):
    """The same crash, made by hand: the commit happened for UID n, the move never did."""
    from detainers.mailbox import Origin, message_ingest

    raw = corpus.with_forms("died")
    imap.append(raw)
    uidvalidity, (uid,) = imap.uids()
    key = imap_module.mailbox_address_parse(imap.server.url()).key
    message_ingest(raw=raw, origin=Origin(key, uidvalidity, uid))
    summary = mailbox_ingest()
    assert (summary.read, summary.moved) == (0, 1)
    assert Delivery.objects.count() == 1 and imap.count("Processed") == 1


def test_the_server_going_away_mid_run_loses_nothing(imap, dovecot_server, monkeypatch):
    total = 8
    imap.append(*(corpus.with_forms(f"away-{n}") for n in range(total)))
    monkeypatch.setattr(imap_module, "CHUNK_MESSAGES", 3)
    seen = []

    def stop_after_four(copy):
        seen.append(copy.pk)
        if len(seen) == 4:
            dovecot_server.stop()

    interrupted = mailbox_ingest(on_message=stop_after_four)
    assert interrupted.error and interrupted.ingested in (4, 5, 6)
    assert mailbox_health().last_error == interrupted.error

    dovecot_server.start()
    finished = mailbox_ingest()
    assert finished.error == ""
    assert Delivery.objects.count() == total and MailMessage.objects.count() == total
    assert imap.count("INBOX") == 0 and imap.count("Processed") == total
    assert message_ids(imap.contents("Processed")) == {
        f"<away-{n}@corpus.example>".encode() for n in range(total)
    }
    assert mailbox_health().last_error == ""


def test_oversize_goes_to_quarantine_and_a_supervisor_can_retry_it(imap, settings, supervisor):
    settings.MAX_MESSAGE_BYTES = 50_000
    imap.append(corpus.oversize("huge", 60_000), corpus.with_forms("small"))
    summary = mailbox_ingest()
    assert (summary.ingested, summary.quarantined) == (1, 1)
    assert (
        imap.count("Quarantine") == 1 and imap.count("Processed") == 1 and imap.count("INBOX") == 0
    )
    quarantined = Delivery.objects.exclude(quarantine_reason="").get()
    assert "the limit is" in quarantined.quarantine_reason
    assert mailbox_health().quarantined == 1

    mailbox_retry_quarantined(delivery_id=quarantined.pk, actor=supervisor)
    assert [r.document.name for r in quarantined.requests.all()] == ["big.pdf"]
    assert mailbox_health().quarantined == 0


def test_our_own_notice_is_moved_to_processed_without_a_delivery(imap):
    imap.append(corpus.own_notice("ours"))
    summary = mailbox_ingest()
    assert summary.own_notices == 1 and Delivery.objects.count() == 0
    assert imap.count("INBOX") == 0 and imap.count("Processed") == 1


def test_a_wrong_password_is_recorded_for_the_inbox_not_raised(imap, dovecot_server):
    url = dovecot_server.url(password="not-the-password")
    summary = mailbox_ingest(url=url)
    assert summary.error and "not-the-password" not in summary.error
    state = MailboxState.objects.get()
    assert (
        state.last_error == summary.error
        and state.last_read_at is None
        and state.running_until is None
    )


def test_a_second_run_while_one_holds_the_lease_does_nothing(imap):
    from detainers.mailbox.lease import mailbox_state_claim

    imap.append(corpus.with_forms("leased"))
    key = imap_module.mailbox_address_parse(imap.server.url()).key
    assert mailbox_state_claim(key)
    assert mailbox_ingest().busy is True
    assert imap.count("INBOX") == 1


def test_the_command_and_the_periodic_task_read_the_mailbox(imap, capsys):
    imap.append(corpus.with_forms("by-command"))
    call_command("ingest_mailbox", "--once")
    assert "1 ingested, 0 duplicates, 0 quarantined" in capsys.readouterr().out
    imap.append(corpus.with_forms("by-task"))
    assert tasks.ingest_mailbox.apply().get() == 1
    assert Delivery.objects.count() == 2 and imap.count("Processed") == 2


def test_one_bad_message_in_a_chunk_costs_only_itself(imap, monkeypatch):
    """The chunk is written at once; when that fails, each copy is read on its own, and the one that
    still fails stays in the folder (counted as failed) while the rest are read and moved."""
    imap.append(*(corpus.with_forms(f"chunk-{n}") for n in range(4)))
    real = imap_module.message_ingest

    def fails_on_chunk_2(*, raw, origin):
        if b"<chunk-2@" in raw:
            raise OSError("disk trouble")
        return real(raw=raw, origin=origin)

    def chunk_fails(*, copies):
        raise OSError("disk trouble")

    monkeypatch.setattr(imap_module, "messages_ingest", chunk_fails)
    monkeypatch.setattr(imap_module, "message_ingest", fails_on_chunk_2)
    summary = mailbox_ingest()
    assert (summary.ingested, summary.failed, summary.moved) == (3, 1, 3)
    assert message_ids(imap.contents("INBOX")) == {b"<chunk-2@corpus.example>"}
    assert imap.count("Processed") == 3
    assert "1 message(s) could not be recorded" in MailboxState.objects.get().last_error

    monkeypatch.undo()
    again = mailbox_ingest()
    assert (again.ingested, again.failed) == (1, 0) and imap.count("INBOX") == 0


def test_a_chunk_that_loses_a_race_keeps_exactly_the_files_of_what_was_read(
    imap, settings, monkeypatch
):
    """Another run records one copy of the chunk after this run looked (a lapsed lease): the chunk's
    commit is refused after its files were written, the copies are read one at a time, and the disk
    holds the files of the committed documents and nothing else."""
    from detainers.mailbox import message_ingest
    from tests.intake.test_intake_service import document_files, stored_files

    imap.append(*(corpus.with_forms(f"race-{n}") for n in range(4)))
    real = imap_module.messages_ingest

    def another_run_first(*, copies):
        raw, origin = copies[2]
        message_ingest(raw=raw, origin=origin)  # committed before this run's chunk
        return real(copies=copies)

    monkeypatch.setattr(imap_module, "messages_ingest", another_run_first)
    summary = mailbox_ingest()
    assert summary.error == "" and (summary.ingested, summary.failed, summary.moved) == (4, 0, 4)
    assert Delivery.objects.count() == 4 and imap.count("Processed") == 4
    assert stored_files(settings) == document_files()
    assert len(document_files()) == Document.objects.count() > 4
