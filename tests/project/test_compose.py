"""docker-compose.yml, the Dockerfile and .env.example agree with settings.py and CONTRACT.md.

No Docker engine is needed: the files are read as YAML and text, and the checks are the mistakes
that would otherwise show only on the day of a deployment (a variable settings never reads, one
it needs that compose never passes, a queue that forgets tasks on restart).
"""

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO.parent / "shared" / "CONTRACT.md"
IN_CI = os.environ.get("CI", "").lower() == "true"

COMPOSE_TEXT = (REPO / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
DJANGO_SERVICES = ("web", "worker", "extraction-worker", "beat")
DOCKERFILE = (REPO / "Dockerfile").read_text()
ENV_EXAMPLE = (REPO / ".env.example").read_text()


def variables_settings_reads() -> set[str]:
    source = (REPO / "config" / "settings.py").read_text()
    quoted_name = r"\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"
    helpers = re.findall(r"\benv_(?:str|bool|int|list)" + quoted_name, source)
    direct = re.findall(r"\bos\.(?:environ\.get|getenv)" + quoted_name, source)
    return set(helpers) | set(direct)


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # the "NAME=value" form
        environment = dict(item.split("=", 1) for item in environment)
    return {name: str(value) for name, value in environment.items()}


def command_of(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def documented_in_env_example() -> dict[str, str]:
    """NAME -> value for every `NAME=value` line, commented out or not."""
    return dict(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=(\S*)", ENV_EXAMPLE, flags=re.MULTILINE))


def without_interpolation(value: str) -> str:
    return re.sub(r"\$\{[^}]*\}", "x", value)


def volume_at(service: dict, target: str) -> str | None:
    """The named volume a service mounts at `target`, if any."""
    for volume in service.get("volumes", []):
        source, _, rest = volume.partition(":")
        if rest.split(":")[0] == target and source in (COMPOSE.get("volumes") or {}):
            return source
    return None


def test_it_has_every_process_and_service():
    assert set(SERVICES) >= {"web", "worker", "beat", "postgres", "redis"}


# ids are not the bare service names: a test keyword "worker" or "redis" reads as that marker.
@pytest.mark.parametrize(
    "name", [*DJANGO_SERVICES[1:], "migrate"], ids=lambda name: f"{name}-service"
)
def test_it_runs_every_django_process_from_the_same_image_and_settings(name):
    web, other = SERVICES["web"], SERVICES[name]

    assert other["build"] == web["build"]
    assert other.get("image") == web.get("image")
    assert environment_of(other) == environment_of(web)


def test_it_runs_the_processes_the_contract_names():
    assert command_of(SERVICES["web"])[:2] == ["gunicorn", "config.wsgi"]
    assert "0.0.0.0:8000" in command_of(SERVICES["web"])
    assert command_of(SERVICES["worker"])[:4] == ["celery", "-A", "config", "worker"]
    assert command_of(SERVICES["beat"])[:4] == ["celery", "-A", "config", "beat"]


def test_it_migrates_once_before_any_django_process_starts():
    assert command_of(SERVICES["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]
    assert SERVICES["migrate"]["restart"] == "no"  # a one-shot, not restarted after it succeeds
    for name in DJANGO_SERVICES:
        depends_on = SERVICES[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["postgres"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}
    assert SERVICES["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_it_passes_every_variable_settings_reads_and_no_other():
    # Compose passes a container only the names listed under `environment`, so a variable
    # settings.py reads must be listed there, and one it does not read is a dead knob.
    passed = set(environment_of(SERVICES["web"]))
    read = variables_settings_reads()

    assert read - passed == set(), "settings.py reads these, compose never passes them"
    assert passed - read == set(), "compose passes these, settings.py never reads them"


def test_it_documents_every_variable_in_env_example():
    documented = set(documented_in_env_example())
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_TEXT))

    assert variables_settings_reads() - documented == set()
    assert interpolated - documented == set(), "compose reads these from .env"


def test_it_ships_no_secret_in_env_example():
    # An unedited copy must stop at the required checks, not start with a published secret.
    documented = documented_in_env_example()
    assert documented["DJANGO_SECRET_KEY"] == ""
    assert documented["POSTGRES_PASSWORD"] == ""


def test_it_runs_in_production_mode_and_requires_a_secret_key():
    environment = environment_of(SERVICES["web"])

    assert environment["DJANGO_DEBUG"] == "False"
    assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")


def test_it_points_django_at_the_postgres_and_redis_services():
    environment = environment_of(SERVICES["web"])
    database = urlsplit(without_interpolation(environment["DATABASE_URL"]))
    broker = urlsplit(environment["CELERY_BROKER_URL"])
    postgres = environment_of(SERVICES["postgres"])

    assert database.scheme in ("postgres", "postgresql")
    assert database.hostname == "postgres"
    assert database.username == postgres["POSTGRES_USER"]
    assert database.path == "/" + postgres["POSTGRES_DB"]
    assert broker.scheme == "redis"
    assert broker.hostname == "redis"


def test_it_keeps_documents_on_a_volume_web_and_worker_share():
    media_root = environment_of(SERVICES["web"])["MEDIA_ROOT"]

    assert volume_at(SERVICES["web"], media_root) is not None
    assert volume_at(SERVICES["web"], media_root) == volume_at(SERVICES["worker"], media_root)


def test_every_queue_a_task_is_routed_to_has_a_worker_that_shares_the_documents():
    from django.conf import settings

    media_root = environment_of(SERVICES["web"])["MEDIA_ROOT"]
    routed_to = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    consumed = {}
    for name, service in SERVICES.items():
        command = command_of(service) if "command" in service else []
        if command[:4] != ["celery", "-A", "config", "worker"]:
            continue
        queues = command[command.index("-Q") + 1].split(",") if "-Q" in command else ["celery"]
        for queue in queues:
            consumed[queue] = name
    assert routed_to | {"celery"} <= set(consumed), "a queue nobody reads: its tasks wait forever"
    reader = SERVICES[consumed["extraction"]]
    assert volume_at(reader, media_root) == volume_at(SERVICES["web"], media_root)
    assert "tesseract-ocr" in DOCKERFILE


def test_it_keeps_the_beat_schedule_on_a_volume():
    schedule = next(
        part.split("=", 1)[1]
        for part in command_of(SERVICES["beat"])
        if part.startswith("--schedule=")
    )
    assert volume_at(SERVICES["beat"], str(Path(schedule).parent)) is not None


def test_it_keeps_the_queue_through_a_redis_restart():
    redis = SERVICES["redis"]
    command = " ".join(command_of(redis))

    assert redis["image"].startswith("redis:7")
    assert "--appendonly yes" in command
    assert "--appendfsync everysec" in command
    assert "--maxmemory-policy noeviction" in command
    assert re.search(r"--maxmemory \d+[kmg]b", command), "without a limit noeviction never applies"
    assert volume_at(redis, "/data") is not None
    assert "healthcheck" in redis


def test_it_keeps_the_database_on_a_volume():
    postgres = SERVICES["postgres"]

    assert postgres["image"].startswith("postgres:16")
    assert volume_at(postgres, "/var/lib/postgresql/data") is not None
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_it_publishes_only_the_web_port():
    assert [name for name, service in SERVICES.items() if service.get("ports")] == ["web"]


def test_its_image_runs_modules_that_exist_as_a_user_that_is_not_root():
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, flags=re.MULTILINE).group(1))
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, flags=re.MULTILINE)

    assert cmd[:2] == ["gunicorn", "config.wsgi"]
    assert importlib.util.find_spec("config.wsgi") is not None
    assert importlib.util.find_spec("config.celery_app") is not None  # celery -A config
    assert re.search(r"^FROM python:3\.11-slim", DOCKERFILE, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")


def test_its_build_environment_is_enough_for_collectstatic():
    # The image collects static files with DJANGO_DEBUG=False and placeholders, because settings
    # fail closed. Run the same command with the same variables (dry run: nothing is written).
    build_step = re.search(
        r"^RUN ((?:[A-Z_]+=\S+\s+\\?\s*)+)python manage\.py collectstatic",
        DOCKERFILE,
        flags=re.MULTILINE,
    )
    assert build_step, "the Dockerfile runs collectstatic with its own placeholder variables"
    build_environment = dict(
        assignment.split("=", 1)
        for assignment in shlex.split(build_step.group(1).replace("\\\n", " "))
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name not in variables_settings_reads()
    }
    env.update(build_environment, DJANGO_SETTINGS_MODULE="config.settings")

    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--dry-run"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert build_environment["DJANGO_DEBUG"] == "False"
    assert result.returncode == 0, result.stderr


def test_it_keeps_secrets_and_local_data_out_of_the_image():
    ignored = set((REPO / ".dockerignore").read_text().split())

    assert {".git", ".env", ".venv", "media/", "*.sqlite3"} <= ignored


def test_every_contract_variable_is_read_by_settings():
    if not CONTRACT.exists():
        if IN_CI:
            pytest.fail(f"{CONTRACT} is missing, and CI=true requires it.")
        pytest.skip(f"{CONTRACT} is not beside this checkout")
    text = CONTRACT.read_text()
    environment_section = text.split("## Environment", 1)[1].split("\n## ", 1)[0]
    contract_variables = set(
        re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", environment_section, flags=re.MULTILINE)
    )

    assert contract_variables, "the contract's Environment table was not found"
    assert contract_variables - variables_settings_reads() == set()
