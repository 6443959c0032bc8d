"""Settings for the PPIE Portal, read only from the environment.

With nothing set it runs on the embedded default: SQLite, a file-system Celery
broker and emails written as files, all under var/. See .env.example.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "local-development-only-not-secret"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
# Links in emails are built from this, so a live site must say where it is.
SITE_URL = env_str("SITE_URL", "http://localhost:8000" if DEBUG else None).rstrip("/")
SITE_NAME = env_str("SITE_NAME", "PPIE Portal")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "portal.accounts",
    "engagement",
    "documents",
    "portal.home",
    "portal.notifications",
    "portal",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "simple_history",
    "django_ratelimit",
]

MIDDLEWARE = [
    "portal.requestlog.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "engagement.middleware.CoordinatorTwoFactorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.site",
                "portal.context_processors.notifications",
            ],
        },
    },
    # Fragments rendered many times a page (``*.jinja``, in the same tree): see portal/jinja.py.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "portal.jinja.environment"},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
# django-ratelimit predates Django's own Redis cache, which counts atomically (INCR) as it needs.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Room for a busy document's threads, each kept on its own (the default is 300 entries).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
    # One process under `make run`, so counting tries in its memory is exact; with Redis
    # configured the limits are shared between processes and the check for it stays on.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "portal.accounts.backends.PortalModelBackend",
    "portal.accounts.backends.PortalAllauthBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# Accounts: email is the login, sign-up only through an invitation.
ACCOUNT_ADAPTER = "portal.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_FORMS = {"login": "portal.accounts.forms.LoginForm"}
# A password reset for an unknown address sends nothing (the form still looks the same).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"{SITE_NAME}: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# Refuses removing two-factor from someone who must keep it (engagement/two_factor.py).
MFA_ADAPTER = "engagement.two_factor.MFAAdapter"
# Coordinators see every partner's data, so their accounts need a second factor.
COORDINATOR_MFA_REQUIRED = env_bool("COORDINATOR_MFA_REQUIRED", not DEBUG)
# Who people can write to for help; shown on the help pages. Empty: only the study's
# coordinators are listed.
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "")
INVITATION_EXPIRY_DAYS = env_int("INVITATION_EXPIRY_DAYS", 14, minimum=1)

# Documents: uploads larger than this are refused before anything is stored.
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_MB", 20, minimum=1) * 1024 * 1024
# A long version is shown a section at a time: about this many blocks (paragraphs, list
# items, table cells) a section, and never much more than this many characters of HTML.
VERSION_SECTION_BLOCKS = env_int("VERSION_SECTION_BLOCKS", 500, minimum=20)
VERSION_SECTION_CHARACTERS = env_int("VERSION_SECTION_CHARACTERS", 1_500_000, minimum=10_000)
# Each conversion runs in a child process with this much memory (address space) and time;
# past either, or past the page's limits, the version says it is too large to show and the
# original stays downloadable.
CONVERSION_MAX_MEMORY_BYTES = env_int("CONVERSION_MAX_MEMORY_MB", 1024, minimum=256) * 1024 * 1024
CONVERSION_TIMEOUT_SECONDS = env_int("CONVERSION_TIMEOUT_SECONDS", 120, minimum=5)
CONVERSION_MAX_BLOCKS = env_int("CONVERSION_MAX_BLOCKS", 40_000, minimum=1)
CONVERSION_MAX_CHARACTERS = env_int("CONVERSION_MAX_CHARACTERS", 4_000_000, minimum=1)
# Pictures are stored as files and served with the page: one larger than this is left out,
# and so are those past the total, each time with a note on the page.
CONVERSION_MAX_PICTURE_BYTES = env_int("CONVERSION_MAX_PICTURE_MB", 2, minimum=1) * 1024 * 1024
CONVERSION_MAX_PICTURES_BYTES = env_int("CONVERSION_MAX_PICTURES_MB", 20, minimum=1) * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Email: files under var/mail unless an SMTP host is configured.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST", "")
# Or an email provider's API through django-anymail (`pip install ".[providers]"`): its
# backend's name (postmark, mailgun, sendgrid, amazon_ses, brevo, …) and its settings as JSON,
# e.g. EMAIL_PROVIDER=postmark ANYMAIL='{"POSTMARK_SERVER_TOKEN": "…"}'.
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "")
# Replies by email arrive through a provider's inbound webhook (django-anymail) when this names
# the provider (mailgun, postmark, sendgrid, amazon_ses, …), or through `manage.py receive_mail`.
INBOUND_PROVIDER = env_str("INBOUND_PROVIDER", "")
if EMAIL_PROVIDER or INBOUND_PROVIDER:
    try:
        ANYMAIL = json.loads(env_str("ANYMAIL", "{}"))
    except ValueError as error:
        raise ImproperlyConfigured("ANYMAIL must be a JSON object of anymail settings.") from error
    if not isinstance(ANYMAIL, dict):
        raise ImproperlyConfigured("ANYMAIL must be a JSON object of anymail settings.")
if EMAIL_PROVIDER:
    if not re.fullmatch(r"[a-z_]+", EMAIL_PROVIDER):
        raise ImproperlyConfigured("EMAIL_PROVIDER must be an anymail backend's name.")
    EMAIL_BACKEND = f"anymail.backends.{EMAIL_PROVIDER}.EmailBackend"
elif EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# Replies by email: notifications about a conversation carry a Reply-To address
# reply+<token>@REPLY_DOMAIN, and what comes back to it is posted in the conversation. Empty:
# no Reply-To, and the emails say nothing about replying.
REPLY_DOMAIN = env_str("REPLY_DOMAIN", "").strip().lower()
if REPLY_DOMAIN and not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", REPLY_DOMAIN):
    raise ImproperlyConfigured("REPLY_DOMAIN must be a domain name, e.g. reply.example.org.")
# A reply to an email older than this is not posted; the person is told to reply in the portal.
REPLY_MAX_AGE_DAYS = env_int("REPLY_MAX_AGE_DAYS", 90, minimum=1)
# The largest email the receiver takes, attachments included (megabytes).
REPLY_MAX_MB = env_int("REPLY_MAX_MB", 10, minimum=1)
if INBOUND_PROVIDER:
    if not re.fullmatch(r"[a-z_]+", INBOUND_PROVIDER):
        raise ImproperlyConfigured("INBOUND_PROVIDER must be an anymail provider's name.")
    try:
        _inbound_webhook = importlib.util.find_spec(f"anymail.webhooks.{INBOUND_PROVIDER}")
    except ModuleNotFoundError:  # the "providers" extra is not installed
        _inbound_webhook = None
    if _inbound_webhook is None:
        raise ImproperlyConfigured(
            "INBOUND_PROVIDER must name a provider of django-anymail (the providers extra)."
        )
    if not REPLY_DOMAIN:
        raise ImproperlyConfigured("INBOUND_PROVIDER needs REPLY_DOMAIN.")
    # Without it the webhook would take mail from anyone on the web.
    if not ANYMAIL.get("WEBHOOK_SECRET"):
        raise ImproperlyConfigured(
            'INBOUND_PROVIDER needs a WEBHOOK_SECRET ("user:password") in ANYMAIL.'
        )
    # Some providers post the whole message, attachments included, as one form field or as
    # JSON: Django's default of 2.5 MB would refuse a reply that carries a photo.
    DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, (REPLY_MAX_MB + 1) * 1024 * 1024)

# Celery: a file-system broker under var/ unless a real broker is configured.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker that has grown large on a hostile file is replaced after its task (in KiB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_MB", 600, minimum=100) * 1024
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The reminder scan: review rounds opening, deadlines near and passed, and anything recorded
# but not yet handed to a worker. Every periodic task of the portal is listed here.
REMINDER_SCAN_MINUTES = env_int("REMINDER_SCAN_MINUTES", 15, minimum=1)
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 60, minimum=10)
CELERY_BEAT_SCHEDULE = {
    "reminder-scan": {
        "task": "portal.home.tasks.reminders_scan",
        "schedule": REMINDER_SCAN_MINUTES * 60,
    },
    "daily-summaries": {
        "task": "portal.notifications.tasks.digests_send",
        "schedule": crontab(hour=8, minute=0),
        "args": ("daily",),
    },
    "weekly-summaries": {
        "task": "portal.notifications.tasks.digests_send",
        "schedule": crontab(hour=8, minute=0, day_of_week="monday"),
        "args": ("weekly",),
    },
    "team-digest": {
        "task": "portal.home.tasks.team_digests_send",
        "schedule": crontab(hour=8, minute=30, day_of_week="monday"),
    },
    "clear-expired-sessions": {
        "task": "portal.accounts.tasks.sessions_clear_expired",
        "schedule": 24 * 60 * 60,
    },
    "expire-involvement-logs": {
        "task": "portal.home.tasks.logs_expire_task",
        "schedule": 60 * 60,
    },
    "purge-kept-receipts": {
        "task": "portal.home.tasks.receipts_purge_task",
        "schedule": crontab(hour=3, minute=15),
    },
    "fail-stuck-conversions": {
        "task": "documents.tasks.versions_fail_stuck",
        "schedule": 5 * 60,
    },
    # Read by /health/: a worker that ran this recently is alive, and so is beat.
    "heartbeat": {
        "task": "portal.tasks.heartbeat",
        "schedule": HEARTBEAT_SECONDS,
        # A heartbeat that waited in the queue longer than this says nothing: drop it.
        "options": {"expires": HEARTBEAT_SECONDS},
    },
}
# /health/ reports the worker failing when its last heartbeat is older than this (seconds).
HEALTH_WORKER_MAX_AGE = env_int("HEALTH_WORKER_MAX_AGE", 300, minimum=30)

# Involvement logs: up to this many entries are printed while the person waits; a longer
# log is built by a worker. Built files are kept this many days (the verification record
# stays); a build still running after LOG_BUILD_STUCK_MINUTES is failed so it can be retried.
LOG_BUILD_NOW_MAX_ENTRIES = env_int("LOG_BUILD_NOW_MAX_ENTRIES", 150, minimum=0)
LOG_KEEP_DAYS = env_int("LOG_KEEP_DAYS", 30, minimum=1)
LOG_BUILD_TIME_LIMIT = env_int("LOG_BUILD_TIME_LIMIT", 300, minimum=10)
LOG_BUILD_STUCK_MINUTES = env_int("LOG_BUILD_STUCK_MINUTES", 30, minimum=1)
# UK finance records are kept six years: an erased person's receipts stay this long after
# they were repaid, then the daily purge removes the files.
FINANCE_RETENTION_YEARS = env_int("FINANCE_RETENTION_YEARS", 6, minimum=0)
# The public verification page: tries per address per minute.
LOG_VERIFY_RATE = env_rate("LOG_VERIFY_RATE", "20/m")
# Costly actions, per person: files uploaded (documents, versions, receipts) and downloads
# made on request (spreadsheets, a version as Word, the study report and involvement logs).
UPLOAD_RATE = env_rate("UPLOAD_RATE", "30/h")
EXPORT_RATE = env_rate("EXPORT_RATE", "10/m")

# Involvement can be dated at most this many years back: an older date is almost surely a
# mistyped year, and no payment rate would cover it.
INVOLVEMENT_EARLIEST_YEARS = env_int("INVOLVEMENT_EARLIEST_YEARS", 6, minimum=1)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
# Plain-English wording for django-allauth's account pages ("Bad Token", "Confirm Access").
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploads (document versions, receipts, PDFs) on this machine's disk under MEDIA_ROOT, or in
# an S3-compatible object store through django-storages (`pip install ".[s3]"`).
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "local")
if MEDIA_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured("MEDIA_STORAGE must be local or s3.")
_media: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if MEDIA_STORAGE == "s3":
    _media = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET", ""),
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("S3_REGION", "") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("S3_PREFIX", ""),
            # Private: every file is served through the portal's own access checks.
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }
    if not _media["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET.")
STORAGES = {
    "default": _media,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# A strict policy: no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
# A load balancer probes the web process directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz?/$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The proxy appends the visitor's address to X-Forwarded-For: allauth's login limits and
    # the portal's own count that address, not the proxy's.
    ALLAUTH_TRUSTED_PROXY_COUNT = 1
RATELIMIT_IP_META_KEY = "portal.http.client_ip"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8, minimum=300)
# Each session also records when it ends, for the warning before it does (static/js/session.js).
SESSION_ENGINE = "portal.sessions"
# A form sent from a stale page keeps what was typed and goes back to its page (portal/views.py).
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"

# "text" (the default) or "json": one JSON object a line, for a log collector. Either way
# each line carries the id of the request it belongs to (portal/requestlog.py).
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.requestlog.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers would print its lines a second time (with DEBUG) and at INFO
        # whatever LOG_LEVEL says: they go through the root's handler alone.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # Every query with its values (people's details among them) only when asked for.
        "django.db.backends": {"level": env_str("SQL_LOG_LEVEL", "INFO")},
        "django.utils.autoreload": {"level": "INFO"},
        # WeasyPrint reports every step of every PDF at INFO.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
