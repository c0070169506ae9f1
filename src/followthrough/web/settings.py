"""One settings module. Environment variables are read by small typed helpers that fail loudly."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

DATA_DIR = Path(os.environ.get("FOLLOWTHROUGH_DATA_DIR", Path.cwd() / ".followthrough"))


def _secret_key() -> str:
    """A stable per-installation key: from the environment, else generated once into DATA_DIR."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
BASE_URL = env.str("BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # the API docs from ninja's own static files, not a CDN page with inline script
    "django_tasks",
    "django_tasks_db",
    "followthrough.web.accounts",
    "followthrough.web.incidents",
    "followthrough.web.postmortems",
    "followthrough.web.actions",
    "followthrough.web.history",
    "followthrough.web.followup",
    "followthrough.web.ingest",
    "followthrough.web.integrations",
    "followthrough.web.insights",
    "followthrough.web.assistant",
    "followthrough.web.drafting",
    "followthrough.web.api",
    "followthrough.web.front",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "followthrough.web.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "followthrough.web.lib.page_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "followthrough.web.lib.problems.ApiProblemMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "followthrough.web.lib.page_middleware.AuthenticationMiddleware",
    "followthrough.web.lib.viewer_time.ViewerTimezoneMiddleware",
    "followthrough.web.history.context.HistoryMiddleware",
    "followthrough.web.security.RequestLimitsMiddleware",
    "followthrough.web.lib.messages.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "followthrough.web.security.DatabaseOutageMiddleware",
    "followthrough.web.lib.read_transactions.ReadTransactionMiddleware",
    "followthrough.web.lib.idempotency.IdempotencyMiddleware",
    "followthrough.web.lib.page_middleware.HtmxMiddleware",
]

ROOT_URLCONF = "followthrough.web.urls"
WSGI_APPLICATION = "followthrough.web.wsgi.application"

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
                "followthrough.web.front.context.navigation",
                "followthrough.web.front.context.viewer_zone",
            ],
            "builtins": ["followthrough.web.front.templatetags.moments"],
        },
    },
]

# Django's form renderer with select boxes written in Python (a timezone picker's ~600
# options cost the templates ~100 ms): web/lib/form_renderer.py.
FORM_RENDERER = "followthrough.web.lib.form_renderer.FormRenderer"


def _database() -> dict[str, object]:
    if os.environ.get("DATABASE_URL"):
        db: dict[str, object] = env.db("DATABASE_URL")
        if db["ENGINE"] == "django.db.backends.postgresql":
            # Django's backend, with a read's BEGIN deferred to its first write
            db["ENGINE"] = "followthrough.web.lib.postgresql"
            db.setdefault("CONN_MAX_AGE", 0)
            # Each process keeps a pool of open connections (psycopg_pool) instead of
            # connecting per request. A gunicorn sync worker serves one request at a time,
            # so it needs one connection; a spare covers a look-up outside the request.
            # Connections are not checked before use: after a server restart the first
            # request on a dropped one gets a 503 and the pool replaces it (docs/deploy.md).
            # Sizing for N processes: docs/deploy.md. DATABASE_POOL_MAX_SIZE=0 turns it off.
            pool_max = env.int("DATABASE_POOL_MAX_SIZE", default=2)
            options = dict(db.get("OPTIONS") or {})  # type: ignore[call-overload]
            if pool_max > 0:
                options["pool"] = {
                    "min_size": min(1, pool_max),
                    "max_size": pool_max,
                    "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
                }
            # The reads every API request makes (web/lib/prepared.py) are prepared on the
            # server after this many runs on a connection: parsed and planned once, not per
            # request. Django's own queries are never prepared. Off (0) behind a pooler
            # that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
            if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
                options["prepare_threshold"] = 5
            db["OPTIONS"] = options
        if os.environ.get("TEST_DATABASE_NAME"):
            db["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
        db["ATOMIC_REQUESTS"] = True
        return db
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
        "ATOMIC_REQUESTS": True,
        # Each process keeps its connection: opening one runs the PRAGMAs, and closing the
        # last one checkpoints and deletes the WAL, ~1.5 ms of CPU that every request paid.
        # A connection left between requests holds no transaction (Django ends each one).
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
            # at BEGIN so two writers queue instead of failing with "database is locked".
            # Safe requests (GET/HEAD/OPTIONS) open theirs with a plain BEGIN instead, so
            # readers never take that lock (web/lib/read_transactions.py).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Argon2id first; the PBKDF2 hashers stay so a password stored before Argon2 still works and
# is rehashed with Argon2 at its owner's next sign-in (Django upgrades on a successful check).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incident-list"
LOGOUT_REDIRECT_URL = "login"


def _team_groups(raw: str) -> dict[str, list[tuple[str, str]]]:
    """FOLLOWTHROUGH_OIDC_TEAM_GROUPS: a JSON object, group -> "team-slug:role" or a list of them.

    Only the shape is checked here (apps are not loaded yet); the system check in
    ``accounts.checks`` checks the roles.
    """
    if not raw:
        return {}
    problem = (
        "FOLLOWTHROUGH_OIDC_TEAM_GROUPS must be a JSON object mapping each group to "
        '"team-slug:role" or a list of them, e.g. {"sre": "payments:lead"}'
    )
    try:
        mapping = json.loads(raw)
    except ValueError as e:
        raise ImproperlyConfigured(f"{problem}; it is not JSON ({e}).") from e
    if not isinstance(mapping, dict):
        raise ImproperlyConfigured(f"{problem}.")
    parsed: dict[str, list[tuple[str, str]]] = {}
    for group, targets in mapping.items():
        targets = [targets] if isinstance(targets, str) else targets
        if not isinstance(targets, list) or not group.strip():
            raise ImproperlyConfigured(f"{problem}; the group {group!r} is not.")
        for target in targets:
            slug, _, role = str(target).partition(":")
            if not re.fullmatch(r"[-a-zA-Z0-9_]+", slug) or not role:
                raise ImproperlyConfigured(f"{problem}; {target!r} (group {group!r}) is not.")
            parsed.setdefault(group, []).append((slug, role))
    return parsed


def oidc_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Single sign-on over OpenID Connect, from FOLLOWTHROUGH_OIDC_* (docs/sign-in.md).

    Off unless the issuer, client id and client secret are all set; some but not all of
    them is a mistake and stops the start. Endpoints not given explicitly are read once,
    at the first sign-in, from ``<issuer>/.well-known/openid-configuration``
    (followthrough.web.accounts.oidc), so the service starts even while the provider is down.
    An issuer or endpoint that is not https (loopback aside) is a system check error
    (``accounts.checks``), as is a role the group mapping does not know.
    """

    def get(name: str) -> str:
        key = f"FOLLOWTHROUGH_OIDC_{name}"
        if path := environ.get(f"{key}_FILE"):
            return Path(path).read_text().strip()
        return environ.get(key, "").strip()

    def flag(name: str) -> bool:
        value = get(name).lower()
        if value not in ("", "0", "1", "false", "true", "no", "yes", "off", "on"):
            raise ImproperlyConfigured(
                f"FOLLOWTHROUGH_OIDC_{name} must be true or false, not {value!r}."
            )
        return value in ("1", "true", "yes", "on")

    required = {name: get(name) for name in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")}
    if not any(required.values()):
        return {"OIDC_ENABLED": False, "OIDC_PROVIDER_NAME": ""}
    if missing := [f"FOLLOWTHROUGH_OIDC_{k}" for k, v in required.items() if not v]:
        raise ImproperlyConfigured(
            f"Single sign-on is half configured: set {', '.join(missing)} as well, "
            "or unset the other FOLLOWTHROUGH_OIDC_* variables."
        )
    issuer = required["ISSUER"].rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"FOLLOWTHROUGH_OIDC_ISSUER must be a URL, not {issuer!r}.")
    domains = [d.strip().lower().lstrip("@") for d in get("ALLOWED_DOMAINS").split(",")]
    logout_at_provider = flag("LOGOUT_AT_PROVIDER")
    sso_only = flag("SSO_ONLY")
    password_backend = (
        "followthrough.web.accounts.oidc.AdminPasswordBackend"
        if sso_only
        else "django.contrib.auth.backends.ModelBackend"
    )
    return {
        "OIDC_ENABLED": True,
        "OIDC_PROVIDER_NAME": get("NAME") or "single sign-on",
        "OIDC_ISSUER": issuer,
        "OIDC_RP_CLIENT_ID": required["CLIENT_ID"],
        "OIDC_RP_CLIENT_SECRET": required["CLIENT_SECRET"],
        # None: discovered (followthrough.web.accounts.oidc.setting).
        "OIDC_OP_AUTHORIZATION_ENDPOINT": get("AUTHORIZATION_ENDPOINT") or None,
        "OIDC_OP_TOKEN_ENDPOINT": get("TOKEN_ENDPOINT") or None,
        "OIDC_OP_USER_ENDPOINT": get("USERINFO_ENDPOINT") or None,
        "OIDC_OP_JWKS_ENDPOINT": get("JWKS_ENDPOINT") or None,
        "OIDC_OP_END_SESSION_ENDPOINT": get("END_SESSION_ENDPOINT") or None,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": get("SCOPES") or "openid email profile",
        "OIDC_USE_PKCE": True,
        "OIDC_TIMEOUT": 10,
        # Who may come in (docs/sign-in.md, "Who gets in").
        "OIDC_ALLOWED_DOMAINS": [d for d in domains if d],
        "OIDC_INVITE_ONLY": flag("INVITE_ONLY"),
        "OIDC_LINK_EXISTING_ACCOUNTS": flag("LINK_EXISTING_ACCOUNTS"),
        "OIDC_ASSUME_EMAIL_VERIFIED": flag("ASSUME_EMAIL_VERIFIED"),
        "OIDC_SSO_ONLY": sso_only,
        # Roles from the provider's groups, applied at every sign-in.
        "OIDC_GROUPS_CLAIM": get("GROUPS_CLAIM") or "groups",
        "OIDC_TEAM_GROUPS": _team_groups(get("TEAM_GROUPS")),
        "OIDC_ADMIN_GROUP": get("ADMIN_GROUP"),
        # Logout at the provider needs the ID token as id_token_hint: kept only then.
        "OIDC_LOGOUT_AT_PROVIDER": logout_at_provider,
        "OIDC_STORE_ID_TOKEN": logout_at_provider,
        "AUTHENTICATION_BACKENDS": [
            password_backend,
            "followthrough.web.accounts.oidc.OIDCBackend",
        ],
    }


AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
_oidc = oidc_settings(os.environ)
OIDC_ENABLED: bool = _oidc.pop("OIDC_ENABLED")
OIDC_PROVIDER_NAME: str = _oidc.pop("OIDC_PROVIDER_NAME")
globals().update(_oidc)  # the OIDC_* names mozilla-django-oidc reads, when enabled

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Repeat suggestions also by meaning (a bundled sentence model; needs the "semantic" extra).
INSIGHTS_SEMANTIC = env.bool("INSIGHTS_SEMANTIC", default=False)

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security (followthrough.web.security adds CSP, Permissions-Policy and the limits) ---
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less header set in base.html
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script or style anywhere, Django's admin and the API docs included (checked in
# Chromium by tests/web/security/test_csp_in_chromium.py); htmx is told by a meta tag in
# front/base.html not to inject styles or eval.
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    ),
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
HTTPS = env.bool("HTTPS", default=False)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # "preload" only consents to the browsers' preload list: nothing happens until the
    # domain's owner submits the (registrable) domain there. HSTS_PRELOAD=0 withdraws it.
    SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Bodies above this are refused with 413 before anything reads them (pages and API).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=2_621_440)
# (count, seconds): failed sign-ins per username and address, and API requests per token
# (or per signed-in user, or per address without either).
SIGN_IN_RATE_LIMIT = (
    env.int("SIGN_IN_FAILURES_ALLOWED", default=10),
    env.int("SIGN_IN_FAILURE_WINDOW_SECONDS", default=15 * 60),
)
API_RATE_LIMIT = (
    env.int("API_REQUESTS_PER_MINUTE", default=600),
    60,
)
# How long the answer of a POST sent with an Idempotency-Key is kept for its retries (hours,
# at least 24; followthrough.web.lib.idempotency).
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=48)
# Each process adds its API requests to the shared count this many at a time (so an API
# read rarely writes); a token may overshoot by under this many per gunicorn worker.
API_RATE_LIMIT_BATCH = env.int("API_RATE_LIMIT_BATCH", default=20)
# The counters must be shared by every gunicorn worker and survive a restart, so they live
# in a database table (`followthrough serve` runs createcachetable; so does the test runner).
# Not LocMem (one count per process: the limit multiplied by the workers) and no Redis (one
# more server to run for an internal tool); one small write per batch of API requests.
CACHES = {
    "default": {
        # Django's database cache with a two-statement incr (web/lib/cache.py).
        "BACKEND": "followthrough.web.lib.cache.DatabaseCache",
        "LOCATION": "followthrough_cache",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}
RATE_LIMIT_CACHE = "default"

# Background work without a broker: django-tasks with its database backend, run by
# `followthrough worker` (SKIP LOCKED on PostgreSQL lets several workers share the queue).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


# SMTP when EMAIL_HOST is set; the console otherwise (messages appear in the worker's log).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = _secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# A mail server that hangs must not hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# How many reverse proxies stand in front (each appends to X-Forwarded-For); 0 = none.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Outbound requests (trackers, Slack, webhooks) go only to public addresses over https, except
# to the hosts, addresses or networks listed here (an on-premises Jira: "jira.corp,10.2.0.0/16").
OUTBOUND_ALLOWED_HOSTS = env.list("OUTBOUND_ALLOWED_HOSTS", default=[])

# Job runs and webhook deliveries older than this are pruned daily by the worker.
LOG_RETENTION_DAYS = env.int("LOG_RETENTION_DAYS", default=90)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="followthrough@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
