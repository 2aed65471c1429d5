"""cephalog settings: one file, read from the environment.

Zero configuration gives a working SQLite development install. Every variable
is listed in .env.example; a bad value fails loudly at start-up.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_str(name: str, default: str) -> str:
    """An empty value counts as unset, so a copied .env.example keeps the defaults."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("CEPHALOG_TESTING", "pytest" in sys.modules)
# Development mode (the built-in key, console email, no HTTPS) only when asked for:
# CEPHALOG_DEV=1, or a development checkout (`make install` leaves the marker
# .venv/cephalog-dev; the tests run with CEPHALOG_TESTING). Otherwise this is production and
# it refuses to start without a real SECRET_KEY (docs/production.md). CEPHALOG_DEV=0 wins.
DEV = env_bool("CEPHALOG_DEV", (Path(sys.prefix) / "cephalog-dev").exists())
_DEV_KEY = "dev-insecure-" + "x" * 50

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if TESTING or DEV:
    SECRET_KEY = SECRET_KEY or _DEV_KEY
elif not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set (or CEPHALOG_DEV=1 for a development install); "
        "see docs/production.md"
    )
elif len(SECRET_KEY) < 40 or SECRET_KEY.startswith(("dev-insecure", "django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY is too short or a development key: use a long random string, "
        'python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )

# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated,
# e.g. 127.0.0.1,::1 for nginx on the same machine). Empty: the peer address is the client.
TRUSTED_PROXIES = env_list("CEPHALOG_TRUSTED_PROXIES", [])
try:
    import ipaddress as _ipaddress

    for _proxy in TRUSTED_PROXIES:
        _ipaddress.ip_network(_proxy, strict=False)
except ValueError as _error:
    raise ImproperlyConfigured(f"CEPHALOG_TRUSTED_PROXIES: {_error}") from None

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # Its static Swagger UI for /api/docs (served here: the CSP allows no CDN).
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks_db",
    "cephalog.accounts",
    "cephalog.accounts.passkeys",
    "cephalog.audit",
    "cephalog.patients",
    "cephalog.diary",
    "cephalog.treatment",
    "cephalog.eligibility",
    "cephalog.safety",
    "cephalog.scheduling",
    "cephalog.outcomes",
    "cephalog.interop",
    "cephalog.web",
    "cephalog.ops",
    "cephalog.demo",
]

MIDDLEWARE = [
    # X-Forwarded-Proto only from CEPHALOG_TRUSTED_PROXIES (SECURE_PROXY_SSL_HEADER below).
    "cephalog.ops.middleware.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # 503 with Retry-After when the database is down (sees errors of everything below).
    "cephalog.ops.middleware.DatabaseUnavailableMiddleware",
    # 413 for oversized bodies, before anything reads them.
    "cephalog.ops.middleware.RequestSizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store on everything but static files (patient data, issue 18.6).
    "cephalog.ops.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # 400/422 for a null character or lone surrogate in any text (issue 18.6).
    "cephalog.ops.middleware.TextInputMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Staff must pass their second factor (TOTP) before anything else (issue 9, ASVS L2).
    "cephalog.accounts.mfa.StaffMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Absolute session timeout; sessions of disabled accounts are deleted.
    "cephalog.ops.middleware.SessionLimitsMiddleware",
    # 429 for a throttled login (docs/adr/0005-login-throttling.md).
    "cephalog.ops.middleware.LoginThrottleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Django's, the header built once per configuration (cephalog.ops.csp).
    "cephalog.ops.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cephalog.audit.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "cephalog.urls"
WSGI_APPLICATION = "cephalog.wsgi.application"

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
                "django.template.context_processors.csp",
                "cephalog.web.context_processors.cephalog",
                "cephalog.safety.context_processors.safety",
                "cephalog.ops.db_router.replica_context",
            ],
        },
    },
]

DATA_DIR = Path(env_str("CEPHALOG_DATA_DIR", str(PROJECT_DIR / "var")))
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'cephalog.sqlite3'}")
DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0), conn_health_checks=True
    )
}
# PostgreSQL through Django's backend with a health check without a round trip
# (cephalog.ops.postgresql); CONN_HEALTH_CHECKS=false turns the check off altogether.
_PG_ENGINE = "cephalog.ops.postgresql"
_HEALTH_CHECKS = env_bool("CONN_HEALTH_CHECKS", True)
for _db in DATABASES.values():
    _db["CONN_HEALTH_CHECKS"] = _HEALTH_CHECKS
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db["ENGINE"] = _PG_ENGINE
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        }
    )
    # Tests use a file, not shared-cache memory: there, concurrent live-server threads
    # fail at once with "database table is locked" (busy_timeout does not apply), which
    # made browser tests flaky on loaded machines. One file per process (xdist workers,
    # parallel checkouts), in the temporary directory.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"cephalog-test-{os.getpid()}.sqlite3")
    }

# A streaming replica for analytics, dashboards, cohort exports and FHIR bulk export
# (cephalog.ops.db_router, docs/scaling.md); unset, everything reads the default database.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(
            DATABASE_REPLICA_URL, conn_max_age=env_int("CONN_MAX_AGE", 0), conn_health_checks=True
        ),
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = _HEALTH_CHECKS
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = _PG_ENGINE
    DATABASE_ROUTERS = ["cephalog.ops.db_router.ReplicaRouter"]
    MIDDLEWARE.append("cephalog.ops.db_router.ReplicaViewsMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Email address or username (any-case email), refusing a throttled username+address
# (cephalog.accounts.backends, cephalog.ops.throttle).
AUTHENTICATION_BACKENDS = ["cephalog.accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "cephalog.accounts.validators.MaximumLengthValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # invitation links stay valid three days
# Forgotten-password links, an hour (cephalog.accounts.tokens; ADR 0005).
PASSWORD_RESET_LINK_TIMEOUT = 60 * 60
# Links confirming a new sign-in address, a day (cephalog.accounts.tokens).
EMAIL_CHANGE_LINK_TIMEOUT = 60 * 60 * 24

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(PROJECT_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING or DEV
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING or DEV
if WHITENOISE_USE_FINDERS:
    # Development serves static files from the finders; STATIC_ROOT exists only after collectstatic.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
# The offline diary's web app manifest (issue 16.2).
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}

# Email (Django 6.1 mailers). Development prints mail on the console; set
# EMAIL_BACKEND=smtp and the EMAIL_* variables for a real server.
_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_email_backend = env_str("EMAIL_BACKEND", "locmem" if TESTING else ("console" if DEV else "smtp"))
_email_options: dict[str, Any] = {}
if _email_backend == "smtp":
    _email_options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": env_int("EMAIL_TIMEOUT", 20),
    }
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKENDS.get(_email_backend, _email_backend),
        "OPTIONS": _email_options,
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cephalog <no-reply@localhost>")

# Sessions: short idle timeout, cookies hardened outside development.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8)
# Absolute timeout: logged out this long after logging in, however active (ops middleware).
SESSION_ABSOLUTE_AGE = env_int("SESSION_ABSOLUTE_AGE", 60 * 60 * 12)
# Activity pushes the idle expiry on, saving the session at most once a minute
# (ops.middleware.SessionLimitsMiddleware), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE = env_bool("SECURE_COOKIES", not (DEBUG or TESTING or DEV))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
# Believed only from CEPHALOG_TRUSTED_PROXIES (cephalog.ops.middleware.ForwardedProtoMiddleware).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# Staff sign in with a password and a TOTP code (django-otp); patients with a password.
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", True)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "cephalog")

NINJA_PAGINATION_MAX_LIMIT = 500

# The audit chain (issue 18.3, docs/reliability.md): HMAC keys outside the database
# (cephalog.audit.keys) and the chains' heads anchored outside it (cephalog.audit.anchor).
from cephalog.audit.keys import configured as _audit_keys  # noqa: E402

AUDIT_KEYS = _audit_keys(
    os.environ.get("CEPHALOG_AUDIT_KEY", ""), os.environ.get("CEPHALOG_AUDIT_KEY_FILE", "")
)
# Tests roll the database back, so an anchor file would outlive the rows it names: off there
# (tests/audit set it per test).
AUDIT_ANCHOR_FILE: str | None = (
    env_str("CEPHALOG_AUDIT_ANCHOR_FILE", "" if TESTING else str(DATA_DIR / "audit-anchors.log"))
    or None
)
AUDIT_ANCHOR_SYSLOG = env_str("CEPHALOG_AUDIT_ANCHOR_SYSLOG", "")
# Reads' audit rows go through a spool file per process and reach the database within
# AUDIT_READ_SPOOL_SECONDS (PostgreSQL only; docs/adr/0013-read-audit-spool.md). Empty:
# every read's row is committed before its answer. Off in tests, which read the rows at
# once (tests/audit/test_read_spool.py turns it on).
AUDIT_READ_SPOOL = env_str(
    "CEPHALOG_AUDIT_READ_SPOOL", "" if TESTING else str(DATA_DIR / "audit-spool")
)
AUDIT_READ_SPOOL_SECONDS = env_int("CEPHALOG_AUDIT_READ_SPOOL_MS", 200) / 1000
AUDIT_ANCHOR_SECONDS = env_int("CEPHALOG_AUDIT_ANCHOR_SECONDS", 60)

# The cache holds login-throttle counters and import progress. It is bounded
# (MAX_ENTRIES), so no request can grow it without limit. locmem counts per
# process; CACHE_URL=file:///path (one machine) or redis://host:6379/0 (with the
# redis package) shares it between worker processes (docs/adr/0005-login-throttling.md).
_cache_url = env_str("CACHE_URL", "")
_cache: dict[str, Any] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "cephalog",
}
if _cache_url.startswith("file://"):
    _cache = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": _cache_url.removeprefix("file://"),
    }
elif _cache_url.startswith(("redis://", "rediss://")):
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
    # Shared by every server: sessions and the session's user are read from it, not the
    # database, on each request (written through; cephalog.ops.authcache, issue 19.1).
    # cached_db, with the session's user read in the same round trip (cephalog.ops.sessions)
    SESSION_ENGINE = "cephalog.ops.sessions"
    AUTH_USER_CACHE_SECONDS = env_int("AUTH_USER_CACHE_SECONDS", 300)
    # and each clinic's ruleset and day definition (cephalog.ops.clinic_cache)
    CLINIC_CACHE_SECONDS = env_int("CLINIC_CACHE_SECONDS", 3600)
elif _cache_url:
    raise ImproperlyConfigured(f"CACHE_URL must be file://, redis:// or empty, got {_cache_url!r}")
# Redis bounds its memory itself (maxmemory, docs/production.md) and its client refuses
# MAX_ENTRIES, which is locmem's and the file cache's.
_cache_options: dict[str, Any] = (
    {}
    if _cache["BACKEND"].endswith("RedisCache")
    else {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 20000)}
)
CACHES = {
    "default": {
        **_cache,
        "OPTIONS": _cache_options,
        # Several sites (or test runs) sharing one Redis keep their keys apart.
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", ""),
    }
}

# Login throttling: per username+address, and per address (any usernames), per window.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 100)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)
LOGIN_THROTTLED_VIEWS = frozenset({"login", "admin:login"})
# Password reset requests (each sends an email): per email+address and per address, per hour.
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 3)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 20)
PASSWORD_RESET_WINDOW = env_int("PASSWORD_RESET_WINDOW", 60 * 60)
PASSWORD_RESET_VIEWS = frozenset({"password_reset"})

# Request bodies: uploads (multipart) up to this size in all (each upload form has its own
# smaller limit); other bodies up to Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
MAX_UPLOAD_REQUEST_BYTES = env_int("MAX_UPLOAD_REQUEST_BYTES", 20_000_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Secret addresses (calendar feeds, set-password links) are masked (issue 18.6).
    "filters": {"mask_secrets": {"()": "cephalog.ops.logs.MaskSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_secrets"],
        }
    },
    # Request logs carry only paths with opaque ids; no patient data is ever logged.
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The development server's request log, through the same (masking) handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
