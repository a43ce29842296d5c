"""Settings for Integration Tracker, read from the environment.

Development works without any variable set (SQLite file in the checkout, DEBUG on).
With DEBUG off, the application refuses to start without a real SECRET_KEY and
ALLOWED_HOSTS, so a production server cannot run on the development defaults.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from import_export.formats.base_formats import CSV, XLSX

from helpers.import_formats import LimitedCSV, LimitedXLSX

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 0/1/true/false, not {raw!r}.")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-development-only-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "" if not DEBUG else _DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if not DEBUG else "127.0.0.1,localhost,testserver")

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("DEBUG is off: set SECRET_KEY to a long random value.")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("DEBUG is off: SECRET_KEY must be at least 50 characters.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DEBUG is off: set ALLOWED_HOSTS (comma-separated).")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "helpers.errors.csrf_failure"

INSTALLED_APPS = [
    # The admin opens where the account is bureau (helpers/admin_site.py).
    "helpers.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "helpers",
    "working_groups",
    "accounts",
    "measures",
    "reports",
    # Above reports: the Land view reads what the municipalities published.
    "land",
]
# The benchmark tooling (scale data sets, `manage.py generate_scale_data`): in
# development and for `make bench`/`make loadtest`, not on a production server.
if env_bool("BENCH_TOOLS", DEBUG):
    INSTALLED_APPS.append("bench")
# The benchmark's reference page, a logged-in view that returns a cached body
# (bench/views.py): served only by the gunicorn of `make bench`, which sets
# BENCH_CEILING=1 (bench/harness.py); never in development or production.
BENCH_CEILING = "bench" in INSTALLED_APPS and env_bool("BENCH_CEILING", False)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The municipality an address names (/<slug>/…, helpers/addresses.py); before
    # everything that reads the path.
    "helpers.addresses.MunicipalityAddressMiddleware",
    "helpers.security.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the locale, so that its 400 speaks the visitor's language.
    "helpers.security.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "helpers.sessions.IdleTimeoutMiddleware",
    # The user's role names from the session (helpers/roles.py).
    "helpers.roles.RolesMiddleware",
    # Everything after it sees the records of the request's municipalities only
    # (helpers/scope.py).
    "helpers.scope.MunicipalityScopeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "helpers.errors.ErrorPageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A change in the admin renews what is cached of the concepts (working_groups/versions.py).
    "working_groups.versions.AdminChangesMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses locked-out username/IP pairs first.
    "axes.backends.AxesStandaloneBackend",
    # Django's own; the role names are kept in the session (helpers/roles.py).
    "django.contrib.auth.backends.ModelBackend",
]

# Brute-force protection: lock a username from one IP address after 5 failures for
# 30 minutes. Locking on the pair (not the IP alone) means one shared office IP
# cannot lock out a whole office, and one username cannot be locked from everywhere.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy, the client address comes from X-Forwarded-For; set
# AXES_PROXY_COUNT to the number of proxies in front of the application.
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0"))
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

ROOT_URLCONF = "integration_tracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpers.context_processors.roles",
                "helpers.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "integration_tracker.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves a web process and a task worker side by side (make
    # run). Write-ahead logging lets readers go on while one writes; a write
    # transaction starts IMMEDIATE, so it waits for the write lock at BEGIN (up to
    # the timeout) instead of failing with "database is locked" when it would have to
    # upgrade a read lock that another writer holds; the worker takes its tasks in
    # EXCLUSIVE transactions, which under WAL block writers only, never readers.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("SQLITE_TIMEOUT", "20")),
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "measures:home"
LOGOUT_REDIRECT_URL = "measures:home"

# German first, English second (DESIGN.md). Dates and money are formatted per language.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date style per language on top of Django's formats (integration_tracker/formats).
FORMAT_MODULE_PATH = ["integration_tracker.formats"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic writes here; whitenoise serves it (compressed, hashed names) when DEBUG is off.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Import/export: every import runs in one transaction and is rolled back whole when
# any row fails, so a spreadsheet never lands half-written.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Imports read within the limits of SPREADSHEET_LIMITS (helpers/uploads.py).
IMPORT_FORMATS = [LimitedCSV, LimitedXLSX]
# Limits for every uploaded spreadsheet (the /daten/ workspace and the admin); the
# defaults are in helpers/uploads.py: upload_bytes (5 MB), uncompressed_bytes
# (50 MB unpacked XLSX), rows (20,000), columns (60), cell_chars (10,000), errors (200
# listed, the rest counted).
SPREADSHEET_LIMITS = {}
EXPORT_FORMATS = [CSV, XLSX]

# Every change of a tracked record is kept with who and when (django-simple-history).
# Only a load of records that bring their history with them turns it off
# (docs/operations.md, "Moving from SQLite to PostgreSQL"), or the load would record
# each of them a second time.
SIMPLE_HISTORY_ENABLED = env_bool("SIMPLE_HISTORY_ENABLED", True)

# Shown in the header above the product name, e.g. "Landeshauptstadt Dresden".
MUNICIPALITY_NAME = os.environ.get("MUNICIPALITY_NAME", "")

# Serve municipalities that have a host of their own (Municipality.host) there,
# without their short name in the path. Off, no request asks which hosts they have.
# Each such host must also be in ALLOWED_HOSTS.
MUNICIPALITY_HOSTS = env_bool("MUNICIPALITY_HOSTS", False)

# Django's cache framework. What is costly to compute from a concept (the progress
# overview's counts, the report's draft HTML) is kept in it under the concept's version
# (working_groups/versions.py), which a change renews once its transaction has
# committed. The timeout bounds memory, not freshness.
PROGRESS_CACHE_SECONDS = int(os.environ.get("PROGRESS_CACHE_SECONDS", "600"))
# REDIS_URL (e.g. redis://127.0.0.1:6379/0): Django's RedisCache, one cache shared by
# every server process on every machine, and sessions in the cache backed by the
# database. Without it, the embedded default: a cache in each process's memory (it
# must then be one process, as `make run` is) and sessions in the database.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, for which a Redis that does not answer is a miss
            # (helpers/cache.py): pages and sessions go on from the
            # database. A second is long enough for a Redis that answers at all.
            "BACKEND": "helpers.cache.RedisCacheOrNothing",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            # Several installations may share one Redis server.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "integration-tracker"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "integration-tracker",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "2000"))},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Background tasks (report documents, large imports, reminders) through Django's task
# API (django-tasks; Django 6 ships it as django.tasks). The database backend keeps
# the queue in the application's own database, SQLite or PostgreSQL, so the embedded
# default needs nothing more, and any number of `manage.py db_worker` processes on any
# number of machines take tasks from it.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Licence under which the open data (progress data as CSV/JSON) is published.
OPEN_DATA_LICENCE = os.environ.get(
    "OPEN_DATA_LICENCE", "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)"
)

# Erklärung zur Barrierefreiheit (BITV 2.0 § 7 and the model statement of
# Durchführungsbeschluss (EU) 2018/1523): the legal basis, the state of compliance,
# the dates, the feedback contact and the enforcement body, configurable per
# installation; the known barriers are records the bureau keeps in the admin
# (reports.AccessibilityBarrier). The defaults are those of a public body of the Free
# State of Saxony; the statement tells the bureau which of them are still defaults.
# Enforcement body: the Durchsetzungsstelle set up by the Saxon Landesbeauftragter für
# Inklusion der Menschen mit Behinderungen at the Sächsische Staatskanzlei
# (durchsetzungsstelle.sachsen.de, checked 30 November 2026).
ACCESSIBILITY_DEFAULTS = {
    "legal_basis": (
        "Barrierefreie-Websites-Gesetz (BfWebG) des Freistaates Sachsen in Verbindung mit "
        "der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0)"
    ),
    "status": "partially",  # "fully", "partially" or "not"
    "statement_date": "2026-11-24",
    "review_date": "2026-11-30",
    "contact_name": "Büro der Integrations- und Ausländerbeauftragten",
    "contact_email": "barrierefreiheit@example.org",
    "contact_phone": "",
    "enforcement_name": (
        "Durchsetzungsstelle beim Landesbeauftragten für Inklusion der Menschen mit "
        "Behinderungen des Freistaates Sachsen"
    ),
    "enforcement_address": "Sächsische Staatskanzlei, Archivstraße 1, 01097 Dresden",
    "enforcement_email": "Durchsetzungsstelle@sk.sachsen.de",
    "enforcement_phone": "",
    "enforcement_url": "https://www.durchsetzungsstelle.sachsen.de/",
    # A video in German Sign Language (DGS) explaining the site (BITV 2.0 § 4); the
    # footer and the start page link to it once it is set.
    "sign_language_url": "",
    # Feedback messages accepted per hour from one client address and from one
    # e-mail address; more are refused and not stored.
    "feedback_per_hour": "5",
}
ACCESSIBILITY = {
    key: os.environ.get(f"A11Y_{key.upper()}", default)
    for key, default in ACCESSIBILITY_DEFAULTS.items()
}
if ACCESSIBILITY["status"] not in ("fully", "partially", "not"):
    raise ImproperlyConfigured("A11Y_STATUS must be fully, partially or not.")
for _key in ("statement_date", "review_date"):
    try:
        datetime.date.fromisoformat(ACCESSIBILITY[_key])
    except ValueError:
        raise ImproperlyConfigured(
            f"A11Y_{_key.upper()} must be a date as YYYY-MM-DD, not {ACCESSIBILITY[_key]!r}."
        ) from None
if not ACCESSIBILITY["feedback_per_hour"].isdigit():
    raise ImproperlyConfigured("A11Y_FEEDBACK_PER_HOUR must be a whole number.")

# The bureau runs the accounts (accounts/): whom people ask about their access (the
# login page, the invitation and password mails name it), and how long links are
# valid. The defaults name the bureau without an address: set BUREAU_CONTACT_EMAIL
# (`manage.py check --deploy` warns until it is set).
BUREAU_CONTACT = {
    "name": os.environ.get(
        "BUREAU_CONTACT_NAME", "Büro der Integrations- und Ausländerbeauftragten"
    ),
    "email": os.environ.get("BUREAU_CONTACT_EMAIL", ""),
    "phone": os.environ.get("BUREAU_CONTACT_PHONE", ""),
}
# An invitation's link to choose a password works once, for this many days.
INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", "7"))
# A password reset link (Django's) works once, for this many hours.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_HOURS", "24")) * 60 * 60

# Scheme and host of the links in e-mails that no request causes (the scheduled
# reminders, `manage.py send_reminders`); mails caused by a request link to the host it
# came to, as invitations do. `check --deploy` warns while it is unset.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
# Office staff are reminded this many days before a round's deadline (once per round
# and person), if their office has not reported everything yet.
DEADLINE_REMINDER_DAYS = int(os.environ.get("DEADLINE_REMINDER_DAYS", "7"))

# A session ends after SESSION_IDLE_TIMEOUT seconds without a request, and after
# SESSION_COOKIE_AGE seconds in any case.
# Expired sessions are removed by `manage.py clearsessions` (docs/operations.md).
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(60 * 60)))
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(60 * 60 * 10)))

# Content-Security-Policy (django-csp), in development too, so that the browser tests
# see every violation: nothing but the application's own files, no inline script or
# style (the templates and the SVG charts use classes and static/css only), no
# plugins, no framing, forms post only to the application. The favicon is a data: URL.
# The one exception (the admin's export page) is in helpers/security.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer's health check may ask over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^healthz/ready/$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    # The __Host- prefix makes the browser refuse these cookies unless they are Secure,
    # have Path=/ and no Domain, so a sibling subdomain cannot plant or override them.
    # Development over http://127.0.0.1 keeps the plain names (Secure would drop them).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "integration-tracker@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
