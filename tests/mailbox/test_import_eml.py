"""Backfill with `import_eml`: .eml files, folders of them and Maildir folders, through the same
code as the mailbox, with a summary line; importing again doubles nothing."""

import time

import pytest
from django.core.management import call_command

from detainers.models import Delivery, MailMessage
from tests import mail_corpus as corpus

pytestmark = pytest.mark.django_db


def write(path, raw: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def test_it_imports_eml_files_and_a_maildir_and_sums_up(tmp_path, capsys):
    single = write(tmp_path / "one.eml", corpus.with_forms("one", forms=2))
    exported = tmp_path / "export"
    write(exported / "a.eml", corpus.form_in_body("a"))
    write(exported / "deeper" / "b.eml", corpus.not_an_email())
    write(exported / "notes.txt", b"not a message file")
    maildir = tmp_path / "Maildir"
    stamp = int(time.time()) - 3600
    write(maildir / "cur" / f"{stamp}.M1P1.host:2,S", corpus.forwarded("m1"))
    write(maildir / "new" / f"{stamp + 1}.M2P1.host", corpus.own_notice("m2"))
    (maildir / "tmp").mkdir()

    call_command("import_eml", str(single), str(exported), str(maildir))
    out = capsys.readouterr()
    assert (
        "3 ingested, 0 duplicates, 1 quarantined (1 own notices skipped, 0 failed) from 5 files."
        in out.out
    )
    assert Delivery.objects.count() == 4
    forwarded = MailMessage.objects.get(message_id="<m1@corpus.example>").delivery
    assert forwarded.received_at.timestamp() >= stamp - 1  # the Date header, near the Maildir stamp

    call_command("import_eml", str(single), str(exported), str(maildir))
    assert (
        "0 ingested, 4 duplicates, 0 quarantined (1 own notices skipped, 0 failed)"
        in capsys.readouterr().out
    )
    assert Delivery.objects.count() == 4


def test_a_path_that_is_not_there_is_refused(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="neither a file nor a folder"):
        call_command("import_eml", str(tmp_path / "missing"))


def test_a_file_that_cannot_be_read_does_not_stop_the_rest(tmp_path, capsys, monkeypatch):
    from detainers.management.commands import import_eml

    good = write(tmp_path / "good.eml", corpus.with_forms("good"))
    bad = write(tmp_path / "bad.eml", corpus.with_forms("bad"))
    real = import_eml.message_ingest

    def flaky(*, raw, origin):
        if b"<bad@" in raw:
            raise OSError("disk error")
        return real(raw=raw, origin=origin)

    monkeypatch.setattr(import_eml, "message_ingest", flaky)
    call_command("import_eml", str(good), str(bad))
    out = capsys.readouterr()
    assert "1 ingested" in out.out and "1 failed" in out.out
    assert "bad.eml: not imported (OSError)" in out.err
