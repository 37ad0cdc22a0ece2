"""Django settings, read from the environment in one place.

ENVIRONMENT is one of local, demo, dev, stg, prod. With no variables at all the project runs as
``local`` on an embedded default: SQLite, in-process cache and channel layer, eager Celery, files on
local disk. Every other environment must name its servers; a missing one stops start-up with one
line naming the variable. The full list of variables is in ../.env.example.
"""

from __future__ import annotations

import ssl
import tempfile
import tomllib
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from redis.exceptions import ConnectionError as RedisConnectionError

from config import env
from config import logging as project_logging

BASE_DIR = Path(__file__).resolve().parent.parent
env.load_dotenv()
PROJECT = tomllib.loads((BASE_DIR / "config" / "project.toml").read_text())

# --- Environment --------------------------------------------------------------------------------
ENVIRONMENTS = ("local", "demo", "dev", "stg", "prod")
ENVIRONMENT = env.text("ENVIRONMENT", "local").lower()
if ENVIRONMENT not in ENVIRONMENTS:
    env.stop(f"ENVIRONMENT={ENVIRONMENT!r} is not one of {', '.join(ENVIRONMENTS)}")
IS_LOCAL = ENVIRONMENT == "local"

USE_CELERY: bool = PROJECT["features"]["celery"]
USE_WEBSOCKET: bool = PROJECT["features"]["websocket"]

# --- Core ---------------------------------------------------------------------------------------
DEBUG = env.boolean("DEBUG", default=IS_LOCAL)
if IS_LOCAL:
    SECRET_KEY = env.text("SECRET_KEY", "local-development-only-key-not-for-any-deployed-environment")
    ALLOWED_HOSTS = env.listing("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env.required("SECRET_KEY", ENVIRONMENT)
    ALLOWED_HOSTS = env.listing("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        env.stop(f"missing required environment variable ALLOWED_HOSTS (ENVIRONMENT={ENVIRONMENT}); see .env.example")
CSRF_TRUSTED_ORIGINS = env.listing("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env.text("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin with a rate-limited login form (apps/core/admin_site.py).
    "apps.core.apps.ProjectAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "apps.core",
    "apps.accounts",
    "apps.files",
]
if USE_WEBSOCKET:
    INSTALLED_APPS += ["channels", "apps.notifications"]

MIDDLEWARE = [
    # First: answers the load balancer before host validation and HTTPS redirects.
    "apps.core.middleware.LivenessMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


# --- Database -----------------------------------------------------------------------------------
def _database_url() -> str:
    """DATABASE_URL, or one assembled from DB_* parts (the password from DB_PASSWORD, or see below)."""
    url = env.text("DATABASE_URL")
    if url:
        return url
    host = env.text("DB_HOST")
    if host:
        user = quote(env.text("DB_USER", "postgres"), safe="")
        password = quote(env.text("DB_PASSWORD"), safe="")
        name = env.text("DB_NAME", PROJECT["project"]["database_name"])
        return f"postgres://{user}:{password}@{host}:{env.integer('DB_PORT', 5432)}/{name}"
    if IS_LOCAL:
        return f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    return env.required("DATABASE_URL", ENVIRONMENT)


DATABASES = {
    "default": dj_database_url.parse(
        _database_url(),
        conn_max_age=env.integer("DB_CONN_MAX_AGE", 60),
        # Off by default (Django's default): a ping before every request is one more round trip each,
        # about half the file list's throughput. After a database restart each process fails one request,
        # then reconnects.
        conn_health_checks=env.boolean("DB_CONN_HEALTH_CHECKS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer fails the request in seconds (503); psycopg alone waits 130 s.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.integer("DB_CONNECT_TIMEOUT", 5)
    if env.boolean("DB_REQUIRE_SSL", not IS_LOCAL):
        DATABASES["default"]["OPTIONS"]["sslmode"] = "require"

# The RDS-managed password rotates every 7 days. With DB_PASSWORD_SECRET_ARN beside the DB_* parts (ECS
# sets them) each new connection takes the password from that secret, cached and re-read when refused
# (config/database/), so a rotation needs no restart. A DATABASE_URL carries its own password and wins
# over the parts, this one included (the EC2 host's .env holds both). The secret's region is in its ARN.
DB_PASSWORD_SECRET_ARN = "" if env.text("DATABASE_URL") else env.text("DB_PASSWORD_SECRET_ARN")
if DB_PASSWORD_SECRET_ARN:
    if not env.text("DB_HOST"):
        env.stop("DB_PASSWORD_SECRET_ARN is the password of the DB_* parts: set DB_HOST (and DB_USER) too")
    if env.text("DB_PASSWORD"):
        env.stop("set DB_PASSWORD or DB_PASSWORD_SECRET_ARN, not both")
    arn_parts = DB_PASSWORD_SECRET_ARN.split(":")
    if len(arn_parts) < 7 or arn_parts[0] != "arn" or arn_parts[2] != "secretsmanager" or not arn_parts[3]:
        env.stop(f"DB_PASSWORD_SECRET_ARN={DB_PASSWORD_SECRET_ARN!r} is not a Secrets Manager secret ARN")
    DATABASES["default"].update(
        ENGINE="config.database", PASSWORD_SECRET_ARN=DB_PASSWORD_SECRET_ARN, PASSWORD_SECRET_REGION=arn_parts[3]
    )

# --- Redis: cache, Celery broker, channel layer ----------------------------------------------------
REDIS_URL = env.text("REDIS_URL")
if not REDIS_URL and not IS_LOCAL:
    REDIS_URL = env.required("REDIS_URL", ENVIRONMENT)
REDIS_USES_TLS = REDIS_URL.startswith("rediss://")
# A pooled connection that died with its server (a Redis restart or failover) is replaced and the command
# sent again at once. Without it the channel layer fails (or hangs) the first websocket that draws one after
# Redis is back, and the cache retries after a backoff of up to seconds.
REDIS_RETRY = {"retry_on_error": [RedisConnectionError]}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_RETRY,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if USE_CELERY:
    CELERY_BROKER_URL = REDIS_URL or "memory://"
    # Outcomes live in PostgreSQL (a file's status), so there is no result backend: sending a task needs
    # the broker alone, and a Redis outage cannot leave the sender waiting on a results connection.
    CELERY_TASK_IGNORE_RESULT = True
    # The embedded default has no broker: tasks run in the calling process.
    CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
    CELERY_TASK_EAGER_PROPAGATES = True
    # A task is acknowledged when it ends, so one whose worker dies (killed, out of memory) is delivered
    # again: by Redis once TASK_VISIBILITY_TIMEOUT_SECONDS have passed since its delivery. That must exceed
    # the longest task and retry countdown, or a task still running is delivered a second time (the file
    # processing task is idempotent either way).
    CELERY_TASK_ACKS_LATE = True
    CELERY_TASK_REJECT_ON_WORKER_LOST = True
    CELERY_WORKER_PREFETCH_MULTIPLIER = 1
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.integer("TASK_VISIBILITY_TIMEOUT_SECONDS", 15 * 60),
        # A broker that does not answer fails a send in seconds instead of hanging the request.
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
    }
    # Sending gives up after three tries (~1 s when Redis refuses connections); the caller logs it, and the
    # retry sweep (FILE_PROCESSING_RETRY_SECONDS) sends the work again.
    CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
    CELERY_TASK_SERIALIZER = "json"
    CELERY_ACCEPT_CONTENT = ["json"]
    CELERY_TIMEZONE = TIME_ZONE
    # Tasks mostly wait on S3 and the database: threads share one copy of Django where processes would not.
    CELERY_WORKER_POOL = "threads"
    CELERY_WORKER_CONCURRENCY = env.integer("WORKER_CONCURRENCY", 4)
    CELERY_BEAT_SCHEDULE_FILENAME = env.text(
        "BEAT_SCHEDULE_FILE", str(Path(tempfile.gettempdir()) / "celerybeat-schedule")
    )
    if REDIS_USES_TLS:
        CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}

if USE_WEBSOCKET:
    if REDIS_URL:
        # channels-redis waits for messages in 5 s blocking reads; redis-py 8 gives up on a read after 5 s by
        # default, which crashed every socket idle that long. A longer socket timeout keeps them alive.
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 10, **REDIS_RETRY}]},
            }
        }
    else:
        CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Files: S3 with presigned URLs, or local disk when no bucket is configured --------------------
AWS_REGION = env.text("AWS_REGION", PROJECT["aws"]["region"])
AWS_STORAGE_BUCKET_NAME = env.text("AWS_STORAGE_BUCKET_NAME")
if not AWS_STORAGE_BUCKET_NAME and not IS_LOCAL:
    AWS_STORAGE_BUCKET_NAME = env.required("AWS_STORAGE_BUCKET_NAME", ENVIRONMENT)
# Only for S3-compatible endpoints in development (MinIO, moto); AWS itself needs none.
AWS_S3_ENDPOINT_URL = env.text("AWS_S3_ENDPOINT_URL") or None
FILE_STORAGE = "s3" if AWS_STORAGE_BUCKET_NAME else "local"
MEDIA_ROOT = Path(env.text("MEDIA_ROOT", str(BASE_DIR / "media")))
FILE_UPLOAD_MAX_BYTES = env.integer("FILE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_URL_TTL = env.integer("FILE_UPLOAD_URL_TTL", 15 * 60)
FILE_DOWNLOAD_URL_TTL = env.integer("FILE_DOWNLOAD_URL_TTL", 5 * 60)
FILE_PENDING_TTL = timedelta(hours=env.integer("FILE_PENDING_TTL_HOURS", 24))
# A file completed this long ago and still not processed (its task was never sent, or was lost) is
# processed again; the retry sweep runs this often too (beat, or `manage.py retry_unprocessed_uploads`).
FILE_PROCESSING_RETRY_AFTER = timedelta(seconds=env.integer("FILE_PROCESSING_RETRY_SECONDS", 5 * 60))
FILE_ALLOWED_CONTENT_TYPES = env.listing(
    "FILE_ALLOWED_CONTENT_TYPES",
    [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
    ],
)
# Local uploads go through Django itself; allow the largest file plus form overhead in memory checks.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
if USE_CELERY:
    # What beat sends: the file housekeeping above.
    CELERY_BEAT_SCHEDULE = {
        "purge-stale-uploads": {
            "task": "apps.files.tasks.purge_stale_uploads",
            "schedule": timedelta(seconds=env.integer("FILE_PURGE_INTERVAL_SECONDS", 60 * 60)),
        },
        "retry-unprocessed-uploads": {
            "task": "apps.files.tasks.retry_unprocessed_uploads",
            "schedule": FILE_PROCESSING_RETRY_AFTER,
        },
    }

# --- Static files: served by WhiteNoise under /api/static/ so the load balancer routes them here --
STATIC_URL = "/api/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names and a manifest wherever DEBUG is off: the image's collectstatic (DEBUG=false)
        # writes the manifest that the deployed settings read; runserver with DEBUG serves sources.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Pages name only the hashed copies (the static tag reads the manifest): the originals stay out of the image.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

# --- HTTPS: only where the site really is served over HTTPS ---------------------------------------
# Forcing HTTPS on a site without a certificate locks everyone out, so this is opt-in
# outside prod. The load balancer terminates TLS and sets X-Forwarded-Proto.
SERVED_OVER_HTTPS = env.boolean("SERVED_OVER_HTTPS", default=ENVIRONMENT == "prod")
if SERVED_OVER_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
USE_X_FORWARDED_HOST = False
# How many proxies in front of the app append to X-Forwarded-For: 1 behind the load balancer (ECS)
# or nginx (EC2 host), 2 with Cloudflare in front of either, 0 when clients connect directly.
# Rate limits key on the address these proxies report, never on what a client writes itself.
TRUSTED_PROXY_HOPS = env.integer("TRUSTED_PROXY_HOPS", 0)
if not 0 <= TRUSTED_PROXY_HOPS <= 5:
    env.stop(f"TRUSTED_PROXY_HOPS={TRUSTED_PROXY_HOPS} must be between 0 and 5")

# --- API: DRF, JWT, OpenAPI -----------------------------------------------------------------------
REST_FRAMEWORK = {
    # The access token's claims identify the user without a database query per request: access tokens
    # live JWT_ACCESS_MINUTES, and refreshing re-checks that the account is still active. Views that need
    # the full user row (/api/auth/me/) load it.
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.accounts.authentication.CachedJWTStatelessUserAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: every value has a type the schema states (apps/core/json_types.py); uploads go to storage.
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Every error status and body is documented too (apps/core/schema.py).
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.ErrorDocumentingAutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.rate("AUTH_THROTTLE_RATE", "20/minute"),
        "auth_account": env.rate("AUTH_ACCOUNT_THROTTLE_RATE", "10/minute"),
    },
    # Any DRF throttle keys on the address the trusted proxies report (DRF's default is the whole header).
    "NUM_PROXIES": TRUSTED_PROXY_HOPS,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # A database, cache or storage outage answers 503 with a JSON body, not 500 (apps/core/errors.py).
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
}
# Readiness (/api/health/ready/) tells anyone which components fail; their error text and latency only to
# requests sending this value in the X-Readiness-Token header (unset: to nobody; the logs always have them).
READINESS_TOKEN = env.text("READINESS_TOKEN")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.integer("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.integer("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "CHECK_USER_IS_ACTIVE": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{PROJECT['project']['name']} API",
    "DESCRIPTION": "REST API: JWT authentication, files through presigned URLs, health checks.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "FileStatusEnum": "apps.files.models.UploadedFile.Status",
        "HealthStatusEnum": ["ok", "error"],
    },
}

# --- Logging: JSON lines with request ids outside local -------------------------------------------
LOG_LEVEL = project_logging.level_from_environment()
LOG_FORMAT = project_logging.format_from_environment()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
