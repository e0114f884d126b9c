"""Settings read from the environment, with an embedded default (SQLite, local-memory cache)."""
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.caches import redis_cache, sentinel_addresses, sentinel_cache
from config.logs import build_logging

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    TIME_ZONE=(str, "UTC"),
    REDIS_URL=(str, ""),
    OPS_METRICS_THROTTLE_RATE=(str, "120/min"),
    OPS_METRICS_CURRENCY=(str, "USD"),
)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG is on.")
    SECRET_KEY = "django-insecure-development-only"
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

# HTTPS, usually terminated by a proxy in front of gunicorn (see docs/operations.md, Deploying). Only trust
# X-Forwarded-Proto when that proxy always sets it (and strips the client's).
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# JSON 403 on /api/ paths and the request_refused signal (DRF's API views: config.auth.SessionAuthentication).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Probes and scrapers may talk plain HTTP to the server directly.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics/prometheus$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "health_check",
    "django_prometheus",
    "pgtrigger",
    "staff",
    "bookings",
    "complaints",
    "ops_metrics",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.errors.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a lockout flagged during the request into its response.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project overrides: the browsable API and the admin index link to the dashboard page.
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# A read replica for the metrics queries: set REPLICA_DATABASE_URL and OPS_METRICS_DATABASE=replica.
if env("REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = env.db("REPLICA_DATABASE_URL")
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        _database["CONN_HEALTH_CHECKS"] = True
        # Django's backend with query, error and connection counters for /metrics/prometheus.
        _database["ENGINE"] = "django_prometheus.db.backends.postgresql"
        _database.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=3))
        if not env.bool("DB_JIT", default=False):
            # JIT compiles a plan once its estimated cost is high; the metrics' short aggregates then spend longer
            # compiling than running (the per-staff bookings query at 10M: 181 ms with JIT, 50 ms without).
            _database["OPTIONS"].setdefault("options", "-c jit=off")
# Applied by the web entry points only (config.database.apply_request_timeouts), never to management commands.
DATABASE_REQUEST_TIMEOUTS = {
    "statement_timeout_ms": env.int("DB_STATEMENT_TIMEOUT_MS", default=5000),
    "lock_timeout_ms": env.int("DB_LOCK_TIMEOUT_MS", default=3000),
}
# Seconds clients are told to wait (Retry-After) when the database is unavailable or timed out.
DATABASE_UNAVAILABLE_RETRY_AFTER = env.int("DB_UNAVAILABLE_RETRY_AFTER", default=5)

# Readiness (/readyz) fails while a replica alias lags further behind than this (its lag is reported either way).
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30)

REDIS_URL = env("REDIS_URL")
# Redis through Sentinel: the Sentinels' host:port list and the master name they monitor (REDIS_URL is then unused).
REDIS_SENTINELS = sentinel_addresses(env.list("REDIS_SENTINELS", default=[]))
REDIS_SENTINEL_SERVICE = env("REDIS_SENTINEL_SERVICE", default="")
_redis_options = {
    "key_prefix": env("CACHE_KEY_PREFIX", default="ops"),
    "connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
    "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=0.25),
}
if REDIS_SENTINELS:
    if not REDIS_SENTINEL_SERVICE:
        raise ImproperlyConfigured("REDIS_SENTINEL_SERVICE (the master name the Sentinels monitor) must be set "
                                   "with REDIS_SENTINELS.")
    CACHES = {
        "default": sentinel_cache(service=REDIS_SENTINEL_SERVICE, db=env.int("REDIS_SENTINEL_DB", default=0),
                                  sentinels=REDIS_SENTINELS, **_redis_options)
    }
elif REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, **_redis_options)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ops"}}
if REDIS_SENTINELS or REDIS_URL:
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "ops_metrics.cache"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login protection (django-axes) on /admin/login/ and /api-auth/login/ (config.auth.login_protected): after
# LOGIN_FAILURE_LIMIT failures for one username, or from one client address, logins are refused (429) until
# LOGIN_COOLOFF_MINUTES pass without a new failure; a success clears the failures of that username from that
# address only (config.auth.LoginAttemptHandler), never other accounts' failures. Attempts are listed in admin.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = env.list("LOGIN_LOCKOUT_PARAMETERS", default=["username", "ip_address"])
AXES_HANDLER = "config.auth.LoginAttemptHandler"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "ops_metrics.addresses.client_ip"
# axes.W003 asks for axes' authentication backend; the login views are wrapped instead (config/auth.py says why).
# models.W039/W040: SQLite ignores the summaries' covering columns; the summaries are read on PostgreSQL only.
SILENCED_SYSTEM_CHECKS = ["axes.W003", "models.W039", "models.W040"]

# Content-Security-Policy on every response (django-csp): nothing inline, nothing from another origin, no framing.
# data: images are the icons of Swagger UI's and the admin's style sheets. The Swagger UI and ReDoc pages add
# styles (config/urls.py says why); nothing adds scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_REDIRECT_URL = "/ops/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "config.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"ops_metrics": env("OPS_METRICS_THROTTLE_RATE")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ops metrics API",
    "DESCRIPTION": "Operations dashboard metrics: bookings, complaints, SLA, revenue and real-time figures.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PeriodEnum": "ops_metrics.constants.Period",
        "MetricGroupEnum": "ops_metrics.constants.MetricGroup",
        "ReportedPeriodEnum": "ops_metrics.constants.ReportedPeriod",
        "SeriesMetricEnum": "ops_metrics.constants.SeriesMetric",
        "IntervalEnum": "ops_metrics.constants.Interval",
        "AlertStateEnum": "ops_metrics.constants.AlertState",
        "AlertComparatorEnum": "ops_metrics.constants.AlertComparator",
    },
    "PREPROCESSING_HOOKS": ["ops_metrics.web.openapi.drop_optional_trailing_slash"],
}

# /metrics/prometheus: off (404) unless a bearer token and/or allowed client networks (CIDR) are set.
PROMETHEUS_TOKEN = env.str("PROMETHEUS_TOKEN", default="")
PROMETHEUS_ALLOWED_NETWORKS = env.list("PROMETHEUS_ALLOWED_NETWORKS", default=[])

OPS_METRICS_CURRENCY = env("OPS_METRICS_CURRENCY")
# auto (rollup on PostgreSQL while the summaries are current, scan otherwise), scan or rollup.
OPS_METRICS_ENGINE = env("OPS_METRICS_ENGINE", default="auto")
OPS_METRICS_DATABASE = env("OPS_METRICS_DATABASE", default="default")
OPS_METRICS_TRUST_X_FORWARDED_FOR = env.bool("OPS_METRICS_TRUST_X_FORWARDED_FOR", default=False)

# Alerts (ops_alerts): webhook targets are https and public unless these say otherwise; links in notifications.
OPS_ALERTS_ALLOW_HTTP = env.bool("OPS_ALERTS_ALLOW_HTTP", default=False)
OPS_ALERTS_ALLOW_PRIVATE_NETWORKS = env.bool("OPS_ALERTS_ALLOW_PRIVATE_NETWORKS", default=False)
OPS_ALERTS_BASE_URL = env.str("OPS_ALERTS_BASE_URL", default="")
# Alert emails: EMAIL_URL as django-environ reads it (smtp+tls://user:password@host:587, consolemail://, …).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ops-metrics@localhost")

LOGGING = build_logging(
    log_format=env.str("LOG_FORMAT", default="text"), level=env.str("LOG_LEVEL", default="WARNING")
)
