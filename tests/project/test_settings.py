"""config/settings.py fails closed: production (DJANGO_DEBUG=False) refuses to start without what it
needs, naming the variable to set; development needs nothing.

Each case loads the settings in a fresh Python process with a controlled environment, because the
settings module is read once per process (about half a second each, so the cases are few).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = (REPO / "config" / "settings.py").read_text()
VARIABLES_SETTINGS_READS = set(
    re.findall(r"\benv_(?:str|bool|int|list)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", SETTINGS_SOURCE)
)

# What docker-compose.yml gives a Django container, minus the optional variables.
PRODUCTION = {
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "vK3#pQ8!zR1@wL6$xT9^mN2&bY5*cJ7(dF4)gH0_sA-long-random-production-key",
    "DJANGO_ALLOWED_HOSTS": "detainers.example.org",
    "DATABASE_URL": "postgres://detainers:secret@postgres:5432/detainers",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
}

# Printed as JSON by the child process: python -c PRINT_SETTINGS NAME [NAME ...]
PRINT_SETTINGS = (
    "import json, sys; from django.conf import settings; "
    "print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))"
)


def run_with(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run `python ARGS` in the repository with only the given settings variables set."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name not in VARIABLES_SETTINGS_READS
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **environment)
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_under(environment: dict[str, str], *names: str) -> dict:
    result = run_with(environment, "-c", PRINT_SETTINGS, *names)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def refusal(environment: dict[str, str]) -> str:
    """The ImproperlyConfigured message a start-up with this environment ends on."""
    result = run_with(environment, "-c", PRINT_SETTINGS, "SECRET_KEY")
    assert result.returncode != 0, f"started with {environment}"
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    return last_line


def without(name: str) -> dict[str, str]:
    return {key: value for key, value in PRODUCTION.items() if key != name}


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        pytest.param(without("DJANGO_SECRET_KEY"), "DJANGO_SECRET_KEY", id="no secret key"),
        pytest.param(without("DATABASE_URL"), "DATABASE_URL", id="no database"),
        pytest.param(
            {**PRODUCTION, "DATABASE_URL": "sqlite:///x.db"}, "PostgreSQL", id="sqlite database"
        ),
        pytest.param(without("CELERY_BROKER_URL"), "CELERY_BROKER_URL", id="no broker"),
        pytest.param({**PRODUCTION, "DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG", id="debug maybe"),
        pytest.param(
            {**PRODUCTION, "EMAIL_URL": "imap://mail.example.org"}, "EMAIL_URL", id="mail scheme"
        ),
    ],
)
def test_it_refuses_to_start_and_names_what_to_set(environment, named):
    assert named in refusal(environment)


# Warnings `check --deploy` may give in production, each with the reason it is accepted.
ACCEPTED_DEPLOY_WARNINGS: set[str] = set()


def test_it_starts_in_production_and_passes_the_deploy_check():
    result = run_with(PRODUCTION, "manage.py", "check", "--deploy")
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    warnings = set(re.findall(r"\(([\w.]+\.W\d+)\)", output))
    # drf_spectacular.* are notes on the API schema's quality (a field typed as "string"), not on
    # how the site is deployed; the schema's own tests are the place for them.
    security_warnings = {
        warning for warning in warnings if not warning.startswith("drf_spectacular")
    }
    assert security_warnings <= ACCEPTED_DEPLOY_WARNINGS, output
    assert "ERRORS:" not in output


def test_it_reads_the_outgoing_mail_server_from_email_url():
    mail = settings_under(
        {
            "DJANGO_DEBUG": "True",
            "EMAIL_URL": "smtp+tls://desk%40example.org:pa%40ss%2Fword@mail.example.org:587",
        },
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_USE_TLS",
        "EMAIL_USE_SSL",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
    )

    assert mail == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "desk@example.org",
        "EMAIL_HOST_PASSWORD": "pa@ss/word",
    }


def test_it_needs_nothing_in_development():
    development = settings_under(
        {"DJANGO_DEBUG": "True"},
        "DEBUG",
        "DATABASES",
        "CELERY_BROKER_URL",
        "CELERY_TASK_ALWAYS_EAGER",
        "EMAIL_BACKEND",
    )

    assert development["DEBUG"] is True
    assert development["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert development["CELERY_BROKER_URL"] == ""
    assert development["CELERY_TASK_ALWAYS_EAGER"] is True
    assert development["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_it_is_production_when_debug_is_not_set():
    # The default must be the safe one: forgetting DJANGO_DEBUG gives production, not debug pages.
    assert "DJANGO_SECRET_KEY" in refusal({})
