"""Django settings for Steward, read from the environment through typed helpers.

Every variable is listed, with its default, in README.md and .env.example. A malformed value
stops start-up with a message naming the variable (see steward.core.env).
"""

from __future__ import annotations

import sys
from email.utils import parseaddr
from pathlib import Path

import dj_database_url

from steward.core.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("STEWARD_DATA_DIR", str(BASE_DIR.parent)))

DEBUG = env_bool("STEWARD_DEBUG", False)
TESTING = "pytest" in sys.modules or env_bool("STEWARD_TESTING", False)

# A secret key is required outside debug and tests; a fixed development key never reaches production.
_DEV_SECRET = "steward-insecure-development-key-only-for-debug-and-tests-0123456789"
SECRET_KEY = env_str("STEWARD_SECRET_KEY", _DEV_SECRET if (DEBUG or TESTING) else None)
if not (DEBUG or TESTING) and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfiguredEnv("STEWARD_SECRET_KEY must be set to a private value in production")

ALLOWED_HOSTS = env_list(
    "STEWARD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if (DEBUG or TESTING) else []
)
CSRF_TRUSTED_ORIGINS = env_list("STEWARD_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "steward.core",
    "steward.accounts",
    "steward.customers",
    "steward.catalog",
    "steward.desk",
    "steward.quality",
    "steward.field",
    "steward.dispatch",
    "steward.planning",
    "steward.analytics",
    "steward.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "steward.core.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "steward.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "steward.urls"
WSGI_APPLICATION = "steward.wsgi.application"

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
                "steward.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database: SQLite embedded by default, DATABASE_URL for PostgreSQL -------------------------
_DATABASE_URL = env_str("DATABASE_URL", "")
if _DATABASE_URL:
    try:
        _db = dj_database_url.parse(
            _DATABASE_URL, conn_max_age=env_int("STEWARD_DB_CONN_MAX_AGE", 60, minimum=0)
        )
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"DATABASE_URL is not a valid database URL: {exc}") from None
    _db["CONN_HEALTH_CHECKS"] = True
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / env_str("STEWARD_SQLITE_NAME", "db.sqlite3")),
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy timeout
            # instead of one failing with "database is locked" half-way through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("STEWARD_SQLITE_BUSY_TIMEOUT", 20, minimum=1),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
        # Tests use a file, not an in-memory database: threads (the worker's heartbeat beside its
        # task loop, the live server for browser tests) then lock and wait exactly as in production.
        "TEST": {"NAME": str(DATA_DIR / ".test-db.sqlite3")},
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("STEWARD_TIME_ZONE", "Europe/Berlin")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# In debug and tests whitenoise serves straight from the finders; production serves collectstatic output.
STATIC_ROOT = (
    None if (DEBUG or TESTING) else Path(env_str("STEWARD_STATIC_ROOT", str(DATA_DIR / "staticfiles")))
)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = Path(env_str("STEWARD_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"

# --- Security: secure by default, relaxed only by DEBUG ------------------------------------------
_secure = not DEBUG and not TESTING
SESSION_COOKIE_SECURE = env_bool("STEWARD_SECURE_COOKIES", _secure)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("STEWARD_SESSION_AGE", 14 * 24 * 3600, minimum=300)
SECURE_SSL_REDIRECT = env_bool("STEWARD_SSL_REDIRECT", _secure)
SECURE_HSTS_SECONDS = env_int("STEWARD_HSTS_SECONDS", 31536000 if _secure else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("STEWARD_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("STEWARD_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = env_list("STEWARD_SILENCED_CHECKS", [])

# --- Mail ----------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("STEWARD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("STEWARD_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("STEWARD_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("STEWARD_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("STEWARD_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("STEWARD_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("STEWARD_FROM_EMAIL", "Steward <steward@localhost>")
# An SMTP server that never answers must not hold a sending worker forever.
EMAIL_TIMEOUT = env_int("STEWARD_EMAIL_TIMEOUT", 30, minimum=1)

# --- Mail in (desk.mail): the support address, the limits, and the two receivers ----------------
# The address customers write to; replies come back to <local>+<signed ticket token>@<domain>.
STEWARD_MAIL_ADDRESS = env_str(
    "STEWARD_MAIL_ADDRESS", parseaddr(DEFAULT_FROM_EMAIL)[1] or "steward@localhost"
).lower()
# The domains `steward smtpd` accepts mail for (list the domains of team addresses too).
STEWARD_MAIL_DOMAINS = [d.lower() for d in env_list("STEWARD_MAIL_DOMAINS", [])] or [
    STEWARD_MAIL_ADDRESS.rpartition("@")[2]
]
STEWARD_MAIL_MAX_BYTES = env_int("STEWARD_MAIL_MAX_BYTES", 25 * 1024 * 1024, minimum=10 * 1024)
STEWARD_MAIL_MAX_PARTS = env_int("STEWARD_MAIL_MAX_PARTS", 100, minimum=2, maximum=10000)
# More messages than this from one sender within an hour are a mail loop: recorded, not processed.
STEWARD_MAIL_LOOP_LIMIT = env_int("STEWARD_MAIL_LOOP_LIMIT", 30, minimum=1)
STEWARD_SMTPD_HOST = env_str("STEWARD_SMTPD_HOST", "127.0.0.1")
STEWARD_SMTPD_PORT = env_int("STEWARD_SMTPD_PORT", 2525, minimum=1, maximum=65535)
STEWARD_IMAP_HOST = env_str("STEWARD_IMAP_HOST", "")
STEWARD_IMAP_SSL = env_bool("STEWARD_IMAP_SSL", True)
STEWARD_IMAP_PORT = env_int("STEWARD_IMAP_PORT", 993 if STEWARD_IMAP_SSL else 143, minimum=1, maximum=65535)
STEWARD_IMAP_USER = env_str("STEWARD_IMAP_USER", "")
STEWARD_IMAP_PASSWORD = env_str("STEWARD_IMAP_PASSWORD", "")
STEWARD_IMAP_FOLDER = env_str("STEWARD_IMAP_FOLDER", "INBOX")

# --- Background work: Django's Tasks API on the database queue -----------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A worker that has not written a heartbeat for this long is reported unhealthy by /healthz.
STEWARD_WORKER_HEARTBEAT_SECONDS = env_int("STEWARD_WORKER_HEARTBEAT_SECONDS", 15, minimum=1)
STEWARD_WORKER_STALE_SECONDS = env_int("STEWARD_WORKER_STALE_SECONDS", 60, minimum=5)

# --- Product limits -------------------------------------------------------------------------------
STEWARD_PAGE_SIZE = env_int("STEWARD_PAGE_SIZE", 25, minimum=5, maximum=200)
STEWARD_API_MAX_LIMIT = env_int("STEWARD_API_MAX_LIMIT", 200, minimum=10, maximum=1000)
STEWARD_CSV_MAX_BYTES = env_int("STEWARD_CSV_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = STEWARD_CSV_MAX_BYTES + 1024 * 1024

# --- Service desk ---------------------------------------------------------------------------------
# The address links in mail point at (survey links, ticket links): the site as customers reach it.
STEWARD_BASE_URL = env_str("STEWARD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# A resolved ticket nobody reopens is closed this many days after its resolution.
STEWARD_AUTOCLOSE_DAYS = env_int("STEWARD_AUTOCLOSE_DAYS", 7, minimum=1, maximum=365)
# A customer may reopen a resolved or closed ticket for this many days after its resolution.
STEWARD_REOPEN_WINDOW_DAYS = env_int("STEWARD_REOPEN_WINDOW_DAYS", 14, minimum=0, maximum=365)
STEWARD_ATTACHMENT_MAX_BYTES = env_int("STEWARD_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# File name extensions refused as attachments (executables and scripts), comma-separated.
STEWARD_ATTACHMENT_BLOCKED = env_list(
    "STEWARD_ATTACHMENT_BLOCKED",
    [
        "exe",
        "dll",
        "bat",
        "cmd",
        "com",
        "msi",
        "scr",
        "js",
        "jse",
        "vbs",
        "vbe",
        "ps1",
        "sh",
        "jar",
        "hta",
        "html",
        "htm",
        "svg",
    ],
)
# Surveys: sent this many minutes after a resolution, answerable for this many days.
STEWARD_SURVEY_DELAY_MINUTES = env_int("STEWARD_SURVEY_DELAY_MINUTES", 60, minimum=0)
STEWARD_SURVEY_EXPIRY_DAYS = env_int("STEWARD_SURVEY_EXPIRY_DAYS", 14, minimum=1, maximum=365)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("STEWARD_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # aiosmtpd logs every SMTP command at INFO; steward smtpd logs what matters itself.
        "mail.log": {"level": "WARNING"},
    },
}

# --- Dispatch -------------------------------------------------------------------------------------
# The offline travel-time provider: great-circle distance x circuity (percent), at this speed.
STEWARD_TRAVEL_SPEED_KMH = env_int("STEWARD_TRAVEL_SPEED_KMH", 40, minimum=5, maximum=200)
STEWARD_TRAVEL_CIRCUITY_PERCENT = env_int("STEWARD_TRAVEL_CIRCUITY_PERCENT", 130, minimum=100, maximum=300)
# Default and upper bound of an optimisation's time limit (seconds).
STEWARD_DISPATCH_TIME_LIMIT = env_int("STEWARD_DISPATCH_TIME_LIMIT", 30, minimum=1, maximum=3600)
