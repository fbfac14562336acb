"""BACKUP_ENCRYPTION_KEY fails closed: a malformed key stops start-up, and production refuses to
write an unencrypted backup unless told so. OPEN_DATA_MIN_CELL under 3 stops start-up too.

Each case loads the settings in a fresh process (tests/project/test_settings.py's way)."""

from cryptography.fernet import Fernet

from tests.project.test_settings import PRODUCTION, refusal, run_with, settings_under


def test_it_refuses_to_start_with_a_malformed_key():
    last_line = refusal({"DJANGO_DEBUG": "True", "BACKUP_ENCRYPTION_KEY": "not-a-fernet-key"})
    assert "BACKUP_ENCRYPTION_KEY must be a Fernet key" in last_line


def test_it_starts_with_a_good_key():
    key = Fernet.generate_key().decode()
    found = settings_under(
        {"DJANGO_DEBUG": "True", "BACKUP_ENCRYPTION_KEY": key}, "BACKUP_ENCRYPTION_KEY"
    )
    assert found == {"BACKUP_ENCRYPTION_KEY": key}


def test_it_refuses_an_open_data_threshold_that_protects_nothing():
    last_line = refusal({"DJANGO_DEBUG": "True", "OPEN_DATA_MIN_CELL": "2"})
    assert "OPEN_DATA_MIN_CELL must be 3 or more" in last_line


def test_production_writes_no_unencrypted_backup_unless_told(tmp_path):
    result = run_with(PRODUCTION, "manage.py", "backup", str(tmp_path / "backup"))

    assert result.returncode != 0
    assert "BACKUP_ENCRYPTION_KEY is not set" in result.stderr
    assert not (tmp_path / "backup").exists()  # refused before anything, the database not asked
