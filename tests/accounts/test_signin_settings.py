"""The sign-in settings fail closed: production asks for a second factor and cannot be told not
to; the idle time comes from SESSION_IDLE_MINUTES and must be sensible. Fresh processes, as in
tests/project/test_settings.py."""

from tests.project.test_settings import PRODUCTION, run_with, settings_under

NAMES = (
    "MFA_REQUIRED",
    "MFA_REQUIRED_FOR_CLERKS",
    "SESSION_IDLE_SECONDS",
    "SESSION_ABSOLUTE_SECONDS",
)


def test_production_asks_for_a_second_factor_and_ends_idle_sessions_after_30_minutes():
    assert settings_under(PRODUCTION, *NAMES) == {
        "MFA_REQUIRED": True,
        "MFA_REQUIRED_FOR_CLERKS": False,
        "SESSION_IDLE_SECONDS": 1800,
        "SESSION_ABSOLUTE_SECONDS": 12 * 60 * 60,
    }


def test_production_refuses_to_turn_the_second_factor_off():
    result = run_with({**PRODUCTION, "MFA_REQUIRED": "False"}, "manage.py", "check")
    assert result.returncode != 0
    assert "MFA_REQUIRED=False is for development only" in result.stderr


def test_development_leaves_it_off_for_the_demo_accounts_unless_asked():
    debug = {"DJANGO_DEBUG": "True"}
    assert settings_under(debug, "MFA_REQUIRED") == {"MFA_REQUIRED": False}
    assert settings_under({**debug, "MFA_REQUIRED": "True"}, "MFA_REQUIRED") == {
        "MFA_REQUIRED": True
    }


def test_the_idle_time_is_read_in_minutes_and_checked():
    minutes = {**PRODUCTION, "SESSION_IDLE_MINUTES": "15", "MFA_REQUIRED_FOR_CLERKS": "True"}
    assert settings_under(minutes, "SESSION_IDLE_SECONDS", "MFA_REQUIRED_FOR_CLERKS") == {
        "SESSION_IDLE_SECONDS": 900,
        "MFA_REQUIRED_FOR_CLERKS": True,
    }
    result = run_with({**PRODUCTION, "SESSION_IDLE_MINUTES": "0"}, "manage.py", "check")
    assert result.returncode != 0
    assert "SESSION_IDLE_MINUTES must be 1 to 720" in result.stderr
