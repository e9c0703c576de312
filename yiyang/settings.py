"""Django settings for Yiyang, read from the environment.

Every value a deployment changes comes from an environment variable; the defaults suit a newcomer
running the demo on one machine with the embedded SQLite database.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("YIYANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use SECRET_KEY from the environment, else a random key kept in var/ (never in the repository)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Linked apps' signing secrets are derived from this key (yiyang/exchange/keys.py); changing it changes every
# app's secret. Empty: SECRET_KEY is used.
EXCHANGE_SIGNING_KEY = os.environ.get("EXCHANGE_SIGNING_KEY", "")
DEBUG = env_flag("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    # Yiyang apps, in the order they may import each other (DESIGN.md §2).
    "yiyang.core",
    "yiyang.regions",
    "yiyang.accounts",
    "yiyang.elders",
    "yiyang.facilities",
    "yiyang.providers",
    "yiyang.homecare",
    "yiyang.care",
    "yiyang.renovation",
    "yiyang.benefits",
    "yiyang.visits",
    "yiyang.servicemap",
    "yiyang.supervision",
    "yiyang.analytics",
    "yiyang.imports",
    "yiyang.exchange",
    "yiyang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "yiyang.core.middleware.ContentSecurityPolicyMiddleware",
    "yiyang.core.middleware.RejectUnsafeInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yiyang.urls"
WSGI_APPLICATION = "yiyang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yiyang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiyang.core.context_processors.navigation",
                "yiyang.accounts.context_processors.preferences",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'yiyang.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at BEGIN so
        # that two writers queue instead of failing with "database is locked" halfway through.
        # A 64 MB page cache per connection keeps the region-code indexes of a city in memory.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; "
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and security --------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "yiyang.accounts.validators.MixedCharacterClassesValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: the session lives 30 minutes after the last request.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lock an account for 15 minutes after 5 failed logins.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# A whole bureau often shares one NAT address; locking by address would lock out every colleague.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

CSRF_FAILURE_VIEW = "yiyang.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env_flag("HTTPS"):
    # Served over TLS (directly or behind a proxy that sets X-Forwarded-Proto).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "yiyang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: vendored front-end packages come from npm, never a CDN ---------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [BASE_DIR / "yiyang" / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "yiyang.core.staticfinders.NodeModulesFinder",
]
# Only the built files the pages use are served from node_modules (package.json pins the versions).
VENDOR_STATIC = {
    "vendor/htmx.min.js": "htmx.org/dist/htmx.min.js",
    "vendor/alpine-csp.min.js": "@alpinejs/csp/dist/cdn.min.js",
    "vendor/echarts.min.js": "echarts/dist/echarts.min.js",
    "vendor/leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "vendor/leaflet/leaflet.js.map": "leaflet/dist/leaflet.js.map",
    "vendor/leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "vendor/leaflet/images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
    "vendor/leaflet/images/layers.png": "leaflet/dist/images/layers.png",
    "vendor/leaflet/images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
    "vendor/markercluster/leaflet.markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "vendor/markercluster/leaflet.markercluster.js.map": "leaflet.markercluster/dist/leaflet.markercluster.js.map",
    "vendor/markercluster/MarkerCluster.css": "leaflet.markercluster/dist/MarkerCluster.css",
    "vendor/markercluster/MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- Uploads ----------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Rows committed per transaction by an import, and the silence after which its worker counts as gone.
IMPORT_CHUNK_ROWS = int(os.environ.get("IMPORT_CHUNK_ROWS", "5000"))
IMPORT_STALE_SECONDS = int(os.environ.get("IMPORT_STALE_SECONDS", "120"))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Background tasks -------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Domain configuration ---------------------------------------------------------------------
# How GB/T 42195-2022 level raises (C.4) combine: "single" = at most one level in total,
# "each" = one level per triggering rule. The standard is unclear; see docs/standards.md §1.3.
ASSESSMENT_RAISE_STACKING = os.environ.get("ASSESSMENT_RAISE_STACKING", "single")
ASSESSMENT_REVIEW_MONTHS = int(os.environ.get("ASSESSMENT_REVIEW_MONTHS", "12"))
API_MAX_PAGE_SIZE = 100
# Printed documents (core/pdf.py): the family name of an installed font covering Chinese; blank picks the
# first installed of Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, ...
PDF_FONT_FAMILY = os.environ.get("PDF_FONT_FAMILY", "")

# Time bank (时间银行): local rules, no national standard (e.g. Nanjing caps stored time at 1,500 hours;
# Beijing lets volunteers spend their hours from age 60).
TIME_BANK = {
    "cap_hours": int(os.environ.get("TIME_BANK_CAP_HOURS", "1500")),
    "redeem_age": int(os.environ.get("TIME_BANK_REDEEM_AGE", "60")),
}

# Base map tiles: a deployment points these at 天地图 or an intranet tile server; without a URL the
# maps still show boundaries and markers (many civil-affairs networks are offline).
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
MAP_TILE_ORIGINS = [o.strip() for o in os.environ.get("MAP_TILE_ORIGINS", "").split(",") if o.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
