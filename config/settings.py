"""Settings for Detainer Desk.

This is the only module that reads the environment (see ../shared/CONTRACT.md). It fails closed: with
DJANGO_DEBUG off, a missing secret key, SQLite or in-process tasks stop the start-up with a message that
names the variable to set.
"""

import base64
import binascii
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Only the words True/False (any case) and 1/0 are accepted; anything else is a mistake."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {raw!r}.")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, "") or default


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production (DJANGO_DEBUG=False) needs a long random secret key; "
            "set DJANGO_SECRET_KEY in the environment."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DJANGO_DEBUG-is-True"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "config.apps.AdminConfig",  # django.contrib.admin, its index in the order admins work
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    # Only for its migrations: accounts' migrations depend on them and 0006 hashed its clear keys
    # into accounts.ApiToken. Its admin is unregistered in accounts/admin.py; it must stay above
    # "accounts".
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    # The second factor (accounts/mfa/): TOTP devices and one-use recovery codes. Above "accounts",
    # whose admin unregisters theirs (their TOTP admin would show a person's secret).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "precincts",
    "detainers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session gave its second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # Cache-Control: private, no-store on every answer to a signed-in user or token and every API
    # answer, unless the view set its own; below WhiteNoise, so static files are left alone.
    "config.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Below messages, so a session ended for idleness or age can say so on the login page.
    "accounts.middleware.SessionLimitsMiddleware",
    # A session that still owes its second factor reaches only the MFA pages and logout.
    "accounts.mfa.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view that cannot reach the database answers 503 with Retry-After, not 500.
    "config.middleware.DatabaseUnavailableMiddleware",
    # Last, so it sees the login view's failed attempt and answers with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "accounts.oidc.context_processors.sign_in_options",
                "accounts.context_processors.session_limits",
                "detainers.inbox.context_processors.inbox_unreviewed",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable database host fails a request in seconds instead of holding a worker.
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
elif DEBUG:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
    }
else:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Production (DJANGO_DEBUG=False) runs on PostgreSQL; "
        "set DATABASE_URL, e.g. postgres://user:pass@host:5432/detainers."
    )
if not DEBUG and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL points at a database other than PostgreSQL. Production (DJANGO_DEBUG=False) "
        "must run on PostgreSQL; SQLite is for development only."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out user name before a password is even checked. It needs the
# request, so code that calls authenticate() must pass one (tests sign in with force_login).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # With LOCAL_LOGIN off it refuses every password but a break-glass account's (accounts/local_login.py);
    # with it on it does nothing and ModelBackend below checks the password as before.
    "accounts.local_login.LocalLoginModelBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Never checks a credential: it names the sessions that single sign-on started, for get_user.
    "accounts.oidc.backend.OidcBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sessions end after SESSION_IDLE_MINUTES without a request, and 12 hours after sign-in whatever
# happens (accounts/session_limits.py, enforced by accounts.middleware.SessionLimitsMiddleware);
# pages warn SESSION_WARNING_SECONDS before. Seconds inside, so a browser test can use a few.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
if not 1 <= SESSION_IDLE_MINUTES <= 12 * 60:
    raise ImproperlyConfigured(
        f"SESSION_IDLE_MINUTES must be 1 to 720 (12 hours), not {SESSION_IDLE_MINUTES}."
    )
SESSION_IDLE_SECONDS = SESSION_IDLE_MINUTES * 60
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_WARNING_SECONDS = 60
# The store's own expiry is only a backstop: the limits above end a session first, and record it.
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
# The second factor (accounts/mfa/): required of supervisors and admins (and staff) who sign in
# with a password; single sign-on leaves it to the provider, API tokens are machine access. Off
# only for development (make run's demo accounts): production refuses MFA_REQUIRED=False.
MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)
if not MFA_REQUIRED and not DEBUG:
    raise ImproperlyConfigured(
        "MFA_REQUIRED=False is for development only (DJANGO_DEBUG=True). Production asks "
        "supervisors and admins who sign in with a password for a second factor; unset it."
    )
MFA_REQUIRED_FOR_CLERKS = env_bool("MFA_REQUIRED_FOR_CLERKS", False)
MFA_RECOVERY_CODES = 10
# The name an authenticator app shows next to the account.
OTP_TOTP_ISSUER = "Detainer Desk"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# --- Time -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True
# One date format across the app: 2026-12-07 and 2026-12-07 14:05. Django 5 always prefers the
# locale's formats to these settings, so config/formats/en/formats.py says the same for English.
DATE_FORMAT = SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
FORMAT_MODULE_PATH = ["config.formats"]

# --- The yearly filing to the City Clerk (detainers/counting/filing_profiles.py) -------------------
# Which ordinance's wording and figures the letter follows. An unknown name stops the start-up
# (detainers.apps): a filing must never go out under another ordinance's wording.
FILING_PROFILE = env_str("FILING_PROFILE", "trust_act")
DEPARTMENT_NAME = env_str("DEPARTMENT_NAME", "City Police Department")
# The letterhead's address, its lines separated by ";": "1 Main Street; Springfield, MA 01101".
DEPARTMENT_ADDRESS = [
    line.strip() for line in env_str("DEPARTMENT_ADDRESS").split(";") if line.strip()
]

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Documents are personal data: they are never served from a public URL, only through a view that
# checks access. MEDIA_URL is deliberately not routed anywhere.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/no-public-media/"
MAX_DOCUMENT_BYTES = env_int("MAX_DOCUMENT_BYTES", 25 * 1024 * 1024)
# The pixel budget of a page (detainers/core/budget.py), told from a file's headers before anything
# is decoded: a few hundred bytes can declare 30,000 x 30,000 pixels. Reading stretches a page to
# 300 dpi for OCR (legal paper at 600 dpi, as scanned, is 43 million); the inbox draws a TIFF page
# as PNG. Over it: refused at intake, kept by the mailbox, "too large to read / to show" after.
MAX_PAGE_PIXELS = env_int("MAX_PAGE_PIXELS", 50_000_000)
MAX_SHOWN_PIXELS = env_int("MAX_SHOWN_PIXELS", 40_000_000)
if MAX_PAGE_PIXELS < 1 or MAX_SHOWN_PIXELS < 1:
    raise ImproperlyConfigured("MAX_PAGE_PIXELS and MAX_SHOWN_PIXELS must be 1 or more.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL and not DEBUG:
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL is not set. Production (DJANGO_DEBUG=False) runs tasks on Celery workers; "
        "set CELERY_BROKER_URL, e.g. redis://redis:6379/0. In-process tasks are for development only."
    )
# With no broker, tasks run in-process (make run, tests without Redis).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
# Settings that do not lose work: a task is acknowledged only after it ran, a worker holds one
# message at a time, and a message whose worker died goes back to the queue.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# A worker process that has grown past this (KiB resident) is replaced once its task is done, so
# what one large document left behind is not carried into every task after it. docker-compose.yml
# caps each worker container as well, in case a task grows past all of it.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 600_000
# Reading one document (detainers.extraction.tasks.extract_document): a fax's ten pages take
# about 20 s of OCR. Past this the reading is stopped and recorded as failed with the reason,
# and the worker goes on to the next document; the hard limit follows 30 s later.
EXTRACTION_SOFT_TIME_LIMIT = 3 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any task (time limit above), so a slow task is not handed to a second worker.
    "visibility_timeout": 60 * 60,
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# The sweep (beat, every ROUTING_SWEEP_EVERY_SECONDS) re-enqueues deliveries still unrouted
# ROUTING_SWEEP_AFTER_SECONDS after they were accepted. The fault suite (faults/run.py) shortens both.
ROUTING_SWEEP_AFTER_SECONDS = env_int("ROUTING_SWEEP_AFTER_SECONDS", 30)
ROUTING_SWEEP_EVERY_SECONDS = env_int("ROUTING_SWEEP_EVERY_SECONDS", 60)
if ROUTING_SWEEP_AFTER_SECONDS < 0 or ROUTING_SWEEP_EVERY_SECONDS < 1:
    raise ImproperlyConfigured(
        "ROUTING_SWEEP_AFTER_SECONDS must be 0 or more and ROUTING_SWEEP_EVERY_SECONDS 1 or more."
    )
# Retention (detainers.records): a purge of more records than this, every kind together, waits for
# a supervisor's approval (/records/purges/); 0 makes every purge wait. The daily purge runs at
# PURGE_HOUR, local time.
PURGE_APPROVAL_THRESHOLD = env_int("PURGE_APPROVAL_THRESHOLD", 100)
PURGE_HOUR = env_int("PURGE_HOUR", 3)
if PURGE_APPROVAL_THRESHOLD < 0 or not 0 <= PURGE_HOUR <= 23:
    raise ImproperlyConfigured(
        "PURGE_APPROVAL_THRESHOLD must be 0 or more and PURGE_HOUR 0 to 23 (local time)."
    )
CELERY_BEAT_SCHEDULE = {
    "sweep-unrouted": {
        "task": "detainers.tasks.sweep_unrouted",
        "schedule": float(ROUTING_SWEEP_EVERY_SECONDS),
    },
    "ingest-mailbox": {"task": "detainers.tasks.ingest_mailbox", "schedule": 60.0},
    "sweep-extractions": {
        "task": "detainers.tasks.sweep_extractions",
        "schedule": float(ROUTING_SWEEP_EVERY_SECONDS),
    },
    # Providers' events whose document fetch was lost (detainers.intake.tasks).
    "sweep-provider-events": {
        "task": "detainers.tasks.provider_events_sweep",
        "schedule": float(ROUTING_SWEEP_EVERY_SECONDS),
    },
    # What retention says is due, destroyed once a day (detainers.records.tasks).
    "purge-expired": {
        "task": "detainers.tasks.purge_expired",
        "schedule": crontab(hour=PURGE_HOUR, minute=15),
    },
}
# Reading documents (OCR: seconds a page) has a queue of its own, so that it never holds up routing:
# docker-compose.yml runs a worker for it (`celery -A config worker -Q extraction`).
CELERY_TASK_ROUTES = {"detainers.tasks.extract_document": {"queue": "extraction"}}
# For Tesseract (OCR of faxes and scans, detainers/extraction/ocr.py): its OpenMP threads make it
# slower, not faster, when several pages or workers share a small machine (its own documentation
# says so). Set here, the one module that touches the environment, so that it is set before the
# first tesseract subprocess starts in every process that loads these settings: the web app, the
# Celery workers and manage.py. pytesseract passes our environment on; a value already set is kept.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# --- Fax lines (CONTRACT.md "Fax lines") -----------------------------------------------------------
# A fax received again from the same caller or sender id on the same line within this many hours
# closes the to-do of a missed or partial fax (detainers.intake.resends).
FAX_RESEND_WINDOW_HOURS = env_int("FAX_RESEND_WINDOW_HOURS", 24)
if not 1 <= FAX_RESEND_WINDOW_HOURS <= 24 * 30:
    raise ImproperlyConfigured("FAX_RESEND_WINDOW_HOURS must be 1 to 720.")
# Cloud providers' webhooks (detainers.intake.providers): each is refused (401) while its key is unset.
FAX_TELNYX_PUBLIC_KEY = env_str("FAX_TELNYX_PUBLIC_KEY")  # base64 Ed25519 public key
FAX_PHAXIO_CALLBACK_TOKEN = env_str("FAX_PHAXIO_CALLBACK_TOKEN")
FAX_DOCUMO_WEBHOOK_USER = env_str("FAX_DOCUMO_WEBHOOK_USER")
FAX_DOCUMO_WEBHOOK_PASSWORD = env_str("FAX_DOCUMO_WEBHOOK_PASSWORD")
if bool(FAX_DOCUMO_WEBHOOK_USER) != bool(FAX_DOCUMO_WEBHOOK_PASSWORD):
    raise ImproperlyConfigured("Set both FAX_DOCUMO_WEBHOOK_USER and FAX_DOCUMO_WEBHOOK_PASSWORD.")
# Telnyx's key is checked here, so that a mistyped key stops the app at start rather than refusing
# every fax the provider sends (each refusal is retried by Telnyx, then dropped).
if FAX_TELNYX_PUBLIC_KEY:
    try:
        _telnyx_key_size = len(base64.b64decode(FAX_TELNYX_PUBLIC_KEY, validate=True))
    except binascii.Error:
        _telnyx_key_size = 0
    if _telnyx_key_size != 32:
        raise ImproperlyConfigured(
            "FAX_TELNYX_PUBLIC_KEY must be the base64 Ed25519 public key from Telnyx's portal "
            "(32 bytes once decoded)."
        )
# Documo's API key (Settings > API in Documo), sent only to https://api.documo.com/ when a fax's
# document is downloaded from there (detainers.intake.providers).
FAX_DOCUMO_API_KEY = env_str("FAX_DOCUMO_API_KEY")
# Documents are fetched only from URLs starting with one of these prefixes (nothing when unset).
# A prefix is a whole origin at least ("https://host/"), so "https://host" cannot also let in
# "https://host.evil.example/".
FAX_MEDIA_ALLOWED_URLS = [
    prefix if urlsplit(prefix).path else f"{prefix}/"
    for prefix in env_list("FAX_MEDIA_ALLOWED_URLS", "")
]
for _prefix in FAX_MEDIA_ALLOWED_URLS:
    if urlsplit(_prefix).scheme not in ("http", "https") or not urlsplit(_prefix).hostname:
        raise ImproperlyConfigured(
            f"FAX_MEDIA_ALLOWED_URLS: {_prefix!r} is not an http:// or https:// address prefix."
        )
# A provider's document is read up to this size and no further (the intake limit by default);
# one larger is not kept, and its event says so.
FAX_MEDIA_MAX_BYTES = env_int("FAX_MEDIA_MAX_BYTES", MAX_DOCUMENT_BYTES)
# Seconds to wait for a provider's answer (each connect and read); a download as a whole gets four.
FAX_MEDIA_TIMEOUT_SECONDS = env_int("FAX_MEDIA_TIMEOUT_SECONDS", 30)
if FAX_MEDIA_MAX_BYTES < 1 or not 1 <= FAX_MEDIA_TIMEOUT_SECONDS <= 600:
    raise ImproperlyConfigured(
        "FAX_MEDIA_MAX_BYTES must be 1 or more and FAX_MEDIA_TIMEOUT_SECONDS 1 to 600."
    )
# A drop folder that fax servers export files to (detainers.intake.folder); beat reads it when set.
FAX_DROP_FOLDER = env_str("FAX_DROP_FOLDER")
FAX_DROP_EVERY_SECONDS = env_int("FAX_DROP_EVERY_SECONDS", 30)
if FAX_DROP_FOLDER and not os.path.isabs(FAX_DROP_FOLDER):
    raise ImproperlyConfigured("FAX_DROP_FOLDER must be an absolute path, e.g. /srv/fax-drop.")
if FAX_DROP_EVERY_SECONDS < 1:
    raise ImproperlyConfigured("FAX_DROP_EVERY_SECONDS must be 1 or more.")
# Beat reads the folder only when one is set; a pass not started within its interval is dropped
# (the next one reads the same files).
if FAX_DROP_FOLDER:
    CELERY_BEAT_SCHEDULE["ingest-drop-folder"] = {
        "task": "detainers.tasks.ingest_drop_folder",
        "schedule": float(FAX_DROP_EVERY_SECONDS),
        "options": {"expires": float(FAX_DROP_EVERY_SECONDS)},
    }

# --- Mail -----------------------------------------------------------------------------------------
# The address people reach the app at, for links in notification emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# The inbox's review target: an unreviewed request older than this says "Over 24 h target".
INBOX_SLA_HOURS = env_int("INBOX_SLA_HOURS", 24)
if INBOX_SLA_HOURS < 1:
    raise ImproperlyConfigured("INBOX_SLA_HOURS must be 1 or more (hours).")
CENTRAL_INBOX_EMAIL = env_str("CENTRAL_INBOX_EMAIL", "detainers@localhost")
CENTRAL_MAILBOX_URL = env_str("CENTRAL_MAILBOX_URL")
# Set, the mailbox signs in with XOAUTH2 as CENTRAL_MAILBOX_URL's user (no password there), with a
# token from the client-credentials grant (Microsoft 365 app-only access, docs/deploy.md). All four
# or none: half of them would sign in with neither a password nor a token.
MAILBOX_OAUTH2_TOKEN_URL = env_str("MAILBOX_OAUTH2_TOKEN_URL")
MAILBOX_OAUTH2_CLIENT_ID = env_str("MAILBOX_OAUTH2_CLIENT_ID")
MAILBOX_OAUTH2_CLIENT_SECRET = env_str("MAILBOX_OAUTH2_CLIENT_SECRET")
MAILBOX_OAUTH2_SCOPE = env_str("MAILBOX_OAUTH2_SCOPE")
_oauth2 = {
    "MAILBOX_OAUTH2_TOKEN_URL": MAILBOX_OAUTH2_TOKEN_URL,
    "MAILBOX_OAUTH2_CLIENT_ID": MAILBOX_OAUTH2_CLIENT_ID,
    "MAILBOX_OAUTH2_CLIENT_SECRET": MAILBOX_OAUTH2_CLIENT_SECRET,
    "MAILBOX_OAUTH2_SCOPE": MAILBOX_OAUTH2_SCOPE,
}
_oauth2_missing = [name for name, value in _oauth2.items() if not value]
if _oauth2_missing and len(_oauth2_missing) < len(_oauth2):
    raise ImproperlyConfigured(
        f"{', '.join(_oauth2_missing)} must be set too: the MAILBOX_OAUTH2_* settings are set all "
        "four or none (see docs/deploy.md)."
    )
if MAILBOX_OAUTH2_TOKEN_URL:
    _token_url = urlsplit(MAILBOX_OAUTH2_TOKEN_URL)
    # The client secret travels in the request: TLS, except to a token server on this machine.
    _on_this_machine = _token_url.hostname in ("127.0.0.1", "::1", "localhost")
    _schemes = ("https", "http") if _on_this_machine else ("https",)
    if not _token_url.hostname or _token_url.scheme not in _schemes:
        raise ImproperlyConfigured(
            "MAILBOX_OAUTH2_TOKEN_URL must be an https:// URL, e.g. "
            "https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token."
        )
    if urlsplit(CENTRAL_MAILBOX_URL).password:
        raise ImproperlyConfigured(
            "CENTRAL_MAILBOX_URL holds a password, but MAILBOX_OAUTH2_* are set, so it would never "
            "be used: remove it from the URL (imaps://user@host/INBOX)."
        )
# Readers of the mailbox side by side, each on its own share of the UIDs (tasks.ingest_mailbox):
# a backlog is read about this many times faster, given as many worker processes.
MAILBOX_READERS = env_int("MAILBOX_READERS", 1)
if not 1 <= MAILBOX_READERS <= 16:
    raise ImproperlyConfigured(f"MAILBOX_READERS must be 1 to 16, not {MAILBOX_READERS}.")
# A larger message goes to the Quarantine folder unread (a supervisor may still retry it).
MAX_MESSAGE_BYTES = env_int("MAX_MESSAGE_BYTES", 25 * 1024 * 1024)
# Mail from these domains (and their subdomains) is from the agency even without a form attached.
AGENCY_EMAIL_DOMAINS = env_list("AGENCY_EMAIL_DOMAINS", "ice.dhs.gov,dhs.gov")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "detainer-desk@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    _mail = urlsplit(EMAIL_URL)
    if _mail.scheme not in ("smtp", "smtp+tls", "smtp+ssl"):
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with smtp://, smtp+tls:// or smtp+ssl://, not {_mail.scheme}://."
        )
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    try:
        EMAIL_PORT = _mail.port or 25
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number.") from None
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_TLS = _mail.scheme == "smtp+tls"
    EMAIL_USE_SSL = _mail.scheme == "smtp+ssl"
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with WWW-Authenticate, not 403.
        # Keys are stored hashed (accounts.ApiToken); the header stays `Authorization: Token <key>`.
        "accounts.authentication.ApiTokenAuthentication",
        # DRF's session authentication, refusing a session that still owes its second factor.
        "accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Detainer Desk API",
    "DESCRIPTION": "Log, route and count immigration detainer requests. See README and CONTRACT.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets are both called "status": a request's keeps its earlier component name.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "detainers.models.requests.DetainerRequest.Status",
        "ReceptionStatusEnum": "detainers.intake.receptions.ReceptionStatus",
    },
}

# --- Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The document views alone allow a same-origin frame (the inbox shows PDFs).
X_FRAME_OPTIONS = "DENY"
# Django's default, named so a test can hold it: a page opened from here shares no window with
# another site's page.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content security policy (django-csp 4): our own files only, no inline script or style. Browsers
# that know CSP follow frame-ancestors instead of X-Frame-Options, so pages may be framed by this
# site alone; the document views send their own, stricter policies. /api/docs/ (Swagger UI) allows
# its one <style> block by hash, on that view only (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'self'"],  # the inbox shows PDFs in an <object>
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Single sign-on: OpenID Connect (accounts/oidc/, CONTRACT.md "Sign-in and mail") --------------
# Set OIDC_ISSUER and the login page offers "Sign in with OIDC_NAME"; the provider's endpoints and
# keys come from its discovery document, fetched when someone first signs in with it.
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_NAME = env_str("OIDC_NAME", "your organisation")
OIDC_ROLE_CLAIM = env_str("OIDC_ROLE_CLAIM", "groups")
OIDC_PRECINCT_CLAIM = env_str("OIDC_PRECINCT_CLAIM", "precinct")
# The roles sign-on may give: accounts.access.Role's people (the Fax gateway is an integration
# account with a token, never a person signing in). tests/accounts/test_oidc_settings.py holds the two equal.
OIDC_ROLES = ("Clerk", "Supervisor", "Admin")


def oidc_role_map(raw: str) -> dict[str, tuple[str, ...]]:
    """`group=Role,group=Role` -> {group: (Role, ...)}; anything else stops the start-up."""
    mapping: dict[str, tuple[str, ...]] = {}
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        group, equals, role = (piece.strip() for piece in entry.rpartition("="))
        role = next((name for name in OIDC_ROLES if name.lower() == role.lower()), "")
        if not equals or not group or not role:
            raise ImproperlyConfigured(
                f"OIDC_ROLE_MAP has {entry!r}: write group=Role pairs separated by commas, "
                f"Role one of {', '.join(OIDC_ROLES)} (e.g. detainer-clerks=Clerk)."
            )
        mapping[group] = (*mapping.get(group, ()), role)
    return mapping


OIDC_ROLE_MAP = oidc_role_map(env_str("OIDC_ROLE_MAP"))
_local_login = env_str("LOCAL_LOGIN", "on").lower()
if _local_login not in ("on", "off", "true", "false", "1", "0"):
    raise ImproperlyConfigured(f"LOCAL_LOGIN must be on or off, not {_local_login!r}.")
# Off: the password form refuses everyone but the accounts an admin marked break-glass.
LOCAL_LOGIN = _local_login in ("on", "true", "1")
if OIDC_ISSUER:
    _issuer = urlsplit(OIDC_ISSUER)
    if _issuer.scheme not in ("https", "http") or not _issuer.hostname:
        raise ImproperlyConfigured(f"OIDC_ISSUER must be an https:// URL, not {OIDC_ISSUER!r}.")
    if _issuer.scheme != "https" and not DEBUG:
        raise ImproperlyConfigured(
            "OIDC_ISSUER must start with https:// in production (DJANGO_DEBUG=False): "
            "ID tokens and client secrets are not sent over plain HTTP."
        )
    if not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "OIDC_ISSUER is set, so single sign-on needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET "
            "(the app's client at the provider)."
        )
    if not OIDC_ROLE_MAP:
        raise ImproperlyConfigured(
            "OIDC_ISSUER is set but OIDC_ROLE_MAP is empty, so nobody could sign in with a role: "
            "set it, e.g. OIDC_ROLE_MAP=detainer-clerks=Clerk,detainer-supervisors=Supervisor."
        )
    # The login and logout forms lead on to the provider (its authorization and end-session
    # endpoints): browsers hold a form's redirects to form-action too.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_issuer.scheme}://{_issuer.netloc}"
    )
elif not LOCAL_LOGIN:
    raise ImproperlyConfigured(
        "LOCAL_LOGIN is off but OIDC_ISSUER is not set: nobody but break-glass accounts could "
        "sign in. Set OIDC_ISSUER (and its client), or LOCAL_LOGIN=on."
    )

# Login throttling (django-axes): 5 failed logins for one user name from one address lock that
# pair out for 15 minutes; a successful login clears the count. API tokens are not passwords and
# are not throttled here: a locked-out account's token still works.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# The lockout's JSON answer (to an XMLHttpRequest) names this site's origin, not "*".
AXES_ALLOWED_CORS_ORIGINS = "{0.scheme}://{0.netloc}".format(urlsplit(SITE_URL))
# How many proxies in front of the app append to X-Forwarded-For (docs/deploy.md's nginx: 1). With
# 0 the address is REMOTE_ADDR, which behind a proxy is the proxy's for everyone: the lockout then
# holds per user name alone. Never set it higher than the proxies that really are there, or a
# client can choose the address it is counted under.
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 0)
if PROXY_COUNT < 0:
    raise ImproperlyConfigured(
        "DJANGO_PROXY_COUNT must be 0 or more (the proxies in front of the app)."
    )
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Backups and open data (CONTRACT.md "Records"; detainers/records/backup.py, counting/open_data.py)
# The Fernet key (32 bytes, URL-safe base64) `manage.py backup` encrypts with and `restore` needs.
# Kept apart from the backups (docs/deploy.md "Backups"). Unset: `backup` refuses in production
# unless told --unencrypted.
BACKUP_ENCRYPTION_KEY = env_str("BACKUP_ENCRYPTION_KEY")
if BACKUP_ENCRYPTION_KEY:
    try:
        _key_bytes = base64.urlsafe_b64decode(BACKUP_ENCRYPTION_KEY.encode("ascii"))
    except (ValueError, binascii.Error):
        _key_bytes = b""
    if len(_key_bytes) != 32:
        raise ImproperlyConfigured(
            "BACKUP_ENCRYPTION_KEY must be a Fernet key: 32 bytes in URL-safe base64 (44 characters). "
            'Make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        )
# When True, /open-data/ serves the de-identified yearly tables to anyone; supervisors always.
OPEN_DATA_PUBLIC = env_bool("OPEN_DATA_PUBLIC", False)
# Cells of the open data below this many requests are withheld. Under 3 a withheld cell would
# be known to hold exactly 1, which protects nothing.
OPEN_DATA_MIN_CELL = env_int("OPEN_DATA_MIN_CELL", 5)
if OPEN_DATA_MIN_CELL < 3:
    raise ImproperlyConfigured(f"OPEN_DATA_MIN_CELL must be 3 or more, not {OPEN_DATA_MIN_CELL}.")

# --- Logging: no personal data is ever formatted into a log line; see detainers/ for how. ---------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
