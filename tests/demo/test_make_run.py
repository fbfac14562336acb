"""`make run` on the port asked for, and seed_demo's output: the logins last, no page of INFO lines
above them."""

import logging
import shutil
import subprocess
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command

from detainers.management.commands import seed_demo
from tests.conftest import needs

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGINS = ["clerk", "supervisor", "admin", "fax-gateway"]


def make_run_commands(*arguments: str) -> list[str]:
    """What `make run` would run, without running it (make -n; the venv is there already)."""
    needs("make (apt-get install make)", shutil.which("make") is not None)
    done = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "run", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


@pytest.mark.parametrize(("arguments", "port"), [((), "8000"), (("PORT=8001",), "8001")])
def test_make_run_serves_and_prints_the_logins_on_the_port_asked_for(arguments, port):
    commands = make_run_commands(*arguments)
    [serve] = [line for line in commands if "manage.py runserver" in line]
    [seed] = [line for line in commands if "manage.py seed_demo" in line]
    assert serve.endswith(f"runserver 127.0.0.1:{port}")
    assert seed.endswith(f"seed_demo --port {port}")
    assert commands.index(seed) == commands.index(serve) - 1  # the logins are the last thing said


def test_seed_demo_ends_with_the_logins_and_logs_nothing_below_a_warning(caplog):
    caplog.set_level(logging.DEBUG)
    out = StringIO()
    with mock.patch.object(seed_demo, "SAMPLE_COUNT", 3):  # enough to route, read and log
        call_command("seed_demo", "--port", "8001", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-5] == "Demo data ready. Log in at http://127.0.0.1:8001/ as:"
    assert [line.split()[0] for line in lines[-4:]] == LOGINS
    assert all("demo-password" in line for line in lines[-4:])
    assert [record for record in caplog.records if record.levelno < logging.WARNING] == []
    # Logging is as it was afterwards: the command's quiet does not outlive it.
    logging.getLogger("detainers").info("after the seed")
    assert [record.getMessage() for record in caplog.records] == ["after the seed"]


def test_without_the_quiet_the_same_seed_would_log_at_info(caplog):
    """The test above could only pass by the command's quiet: the services do log at INFO."""
    caplog.set_level(logging.INFO)
    with mock.patch.object(seed_demo, "_info_logs_quiet", mock.MagicMock()):
        with mock.patch.object(seed_demo, "SAMPLE_COUNT", 3):
            call_command("seed_demo", stdout=StringIO())
    assert [record for record in caplog.records if record.levelno == logging.INFO]
