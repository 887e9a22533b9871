"""Settings for the Yiling party-building complex portal.

Everything that differs between a laptop and a server comes from the environment (or a `.env`
file beside manage.py); `.env.example` documents every variable. The defaults are safe on a
server that sets nothing: debug off (so SECRET_KEY must be given). Development turns debug on
explicitly: `make run` sets DEBUG=1, and the tests run under `yiling.test_settings`. Otherwise
SQLite and tasks run in-process.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A fixed key is only acceptable while debugging; production must set SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "yiling.apps.YilingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "treebeard",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "template_partials",
    "django_celery_beat",
    "yiling.apps.YilingConfig",
    "organizations",
    "members",
    "alliances",
    "merchants",
    "liaisons",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body: an oversized upload is refused unread.
    "yiling.uploads.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A new account, or one whose password staff reset, changes it before anything else.
    "yiling.accounts.PasswordChangeRequiredMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yiling.urls"
WSGI_APPLICATION = "yiling.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "yiling.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "yiling.accounts.MinimumLengthValidator"},  # Django's, refusing in Chinese
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal-home"
LOGOUT_REDIRECT_URL = "login"

# Lock an account and address out for an hour after repeated failed logins.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The lockout page is a portal page saying how long to wait and whom to call (status 429).
AXES_LOCKOUT_CALLABLE = "yiling.accounts.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Whom a locked-out user calls (shown on the lockout and password pages); the district's organization
# department when empty.
SUPPORT_CONTACT = env("SUPPORT_CONTACT", default="")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="portal@yiling.invalid")

# Celery. Without REDIS_URL there is no broker: tasks run in-process, which is only meant for
# `make run` on a laptop. Every server sets REDIS_URL.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Beat reads the schedules from the database (django-celery-beat), where staff change them in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Where links in notice emails and robot messages point (the portal's address seen by its users).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# The cache (the public merchant boards): Redis when REDIS_URL is set, else this process's memory.
# Short timeouts, because a board whose cache is down answers from the database (merchants.board_cache).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "yiling",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "yiling"}
    )
}

# import-export: the admin's import and export go through the scoping rule, and imports run
# in one transaction so a bad file writes nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# Uploads. The largest file anyone may upload is a spreadsheet of 10 MB; a request body beyond that
# and the form around it is refused with 413 before it is read (yiling.uploads). Attachments are
# checked by content (yiling.uploads.AttachmentValidator), at most 5 MB each. Form fields other
# than files stay within Django's 2.5 MB; a file above 2.5 MB is spooled to a private temporary
# file rather than held in memory.
MAX_REQUEST_BODY_BYTES = 12 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Content-Security-Policy (django-csp): everything from this server, nothing inline. The portal's and
# the admin overrides' templates hold no inline script, style element or style attribute (the tree's
# indentation is a class per level, see static/css). The libraries still write a few inline
# attributes: simple_history's history page a style="border-top: 0"; django-import-export's export
# page two style attributes and an onchange handler, and its import preview the diff colours that
# diff-match-patch writes on <ins> and <del>. Rather than copy those templates and code (and let them
# drift from the libraries), exactly those attribute values are allowed by hash ('unsafe-hashes'
# covers attributes only): no inline <script> or <style> element can run, and no other attribute.
from csp.constants import NONE, SELF, UNSAFE_HASHES  # noqa: E402

CSP_LIBRARY_STYLE_ATTRIBUTES = [
    "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",  # border-top: 0
    "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",  # padding: 0;
    "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",  # font-weight: bold;
    "'sha256-AFyijjilwBx8kC+SMDLzasw2VV9MWz1VYVQ8xIgdMlA='",  # background:#e6ffe6;
    "'sha256-S0qL3AVCJ6EdYX2E0yOmH+5YvauOwNAxIl4pJ/0IUUg='",  # background:#ffe6e6;
]
CSP_LIBRARY_SCRIPT_ATTRIBUTES = [
    "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",  # onSelectToggleChange(event)
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "script-src-attr": [UNSAFE_HASHES, *CSP_LIBRARY_SCRIPT_ATTRIBUTES],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_HASHES, *CSP_LIBRARY_STYLE_ATTRIBUTES],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz is probed over plain HTTP by the container health check.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# ID numbers and phones never reach a log in full, whoever logs them: every handler masks them,
# the development server's request lines (which carry query strings, e.g. an admin search) too.
# gunicorn's access and error logs get the same filter from gunicorn.conf.py, the Celery worker logs
# through these handlers (yiling/celery.py). The "django" logger is named so that the handlers
# Django installs before this configuration (an unmasked console under DEBUG that prints "Not
# Found: /path", and mail to ADMINS with the whole request) are removed: its records go to the
# root's masked console.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {"redact": {"()": "yiling.privacy.RedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": env("LOG_LEVEL", default="INFO"), "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # redis-py gives this logger an unfiltered handler of its own (to stderr) the first time a
        # client subscribes (the Celery worker does), unless the logger exists already: here it does,
        # and logs through the masking handlers above.
        "push_response": {"level": "INFO", "propagate": True},
    },
}
# A Celery worker logs through the handlers above instead of replacing them with its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

PORTAL_TITLE = _("Yiling District Urban Grassroots Party-Building Complex")

# The formats staff use: Excel first, CSV for everything else.
from import_export.formats.base_formats import CSV, XLSX  # noqa: E402

IMPORT_EXPORT_FORMATS = [XLSX, CSV]
