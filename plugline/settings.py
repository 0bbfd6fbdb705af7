"""Plugline settings: one module, driven entirely by environment variables.

The embedded default (SQLite, database cache, database task queue) needs no
configuration beyond DEBUG=1. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_HOSTS and the EMAIL_* variables; README.md lists them all.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from plugline.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
BRAND_NAME = env_str("BRAND_NAME", "Plugline")
# The development server's port (PORT, as `make run` uses it) unless SITE_URL says otherwise.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1)}").rstrip("/")


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 50 or len(set(key)) < 5:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters")
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    # Development only: one generated key kept under var/, so sessions and
    # reset links survive restarts of the development server.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Number of reverse proxies in front of Plugline whose X-Forwarded-For we trust.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

INSTALLED_APPS = [
    # `runserver` (and so `make run`) is daphne's, serving WebSockets too, wrapped by
    # WhiteNoise's so that static files come from WhiteNoise, as in production (Django's
    # own static handler answers "/static/..%2F..." with a 500).
    "whitenoise.runserver_nostatic",
    "daphne",
    "plugline.core",
    "plugline.notifications",
    "plugline.accounts",
    "plugline.telephony",
    "plugline.rates",
    "plugline.voicemail",
    "plugline.devices",
    "plugline.billing",
    "plugline.minutes",
    "plugline.sandbox_gateway",
    "plugline.stores",
    "plugline.reup",
    "plugline.upgrades",
    "plugline.support",
    # The help centre: articles in each language, searched, rated (/help/).
    "plugline.helpcentre",
    "plugline.chat",
    "plugline.portal",
    "plugline.backoffice",
    "plugline.api",
    "plugline.reports",
    # The admin, for staff signed in with two-factor (plugline.accounts.admin_site).
    "plugline.accounts.admin_apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # allauth.usersessions, with Plugline's receivers (plugline.accounts.sessions).
    "plugline.accounts.usersessions.UserSessionsConfig",
    "django_tasks",
    "django_tasks_db",
    "django_guid",
    # The API docs' page (Swagger UI) from the package's own files, not a CDN.
    "ninja",
]

MIDDLEWARE = [
    # The request's id first, for every log line written while it is served: nginx's
    # $request_id in X-Request-ID, else a new one, written in JSON logs (django-guid's
    # filter) and sent back in the response's X-Request-ID.
    "plugline.core.request_ids.request_id_middleware",
    # /healthz before the rest: no session, no user, no HTTPS redirect (plugline.core.health).
    "plugline.core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "plugline.core.headers.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the user read through the cache of the account's pages.
    "plugline.accounts.middleware.AuthenticationMiddleware",
    "plugline.core.headers.PrivatePagesMiddleware",
    "plugline.accounts.middleware.UserLanguageMiddleware",
    "plugline.accounts.middleware.UserTimezoneMiddleware",
    "plugline.accounts.middleware.BrowserIdMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # allauth's user-sessions tracking, written every few minutes, not on every request.
    "plugline.accounts.middleware.UserSessionActivityMiddleware",
]

# Prometheus metrics (plugline.core.metrics): off unless METRICS_ENABLED; then
# django-prometheus counts every request and `/metrics` answers only the
# addresses or networks in METRICS_ALLOWED_IPS (default: this machine).
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_ALLOWED_IPS = env_networks("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
if METRICS_ENABLED:
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "plugline.core.metrics.MetricsMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]

ROOT_URLCONF = "plugline.urls"
WSGI_APPLICATION = "plugline.wsgi.application"
ASGI_APPLICATION = "plugline.asgi.application"

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
                "django.template.context_processors.i18n",
                "plugline.core.context_processors.brand",
                "plugline.telephony.context_processors.telephony",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL in production (DATABASE_URL).
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'plugline.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and the scheduler share the file: wait for
    # locks instead of failing, and take the write lock when a transaction
    # starts so that concurrent writers queue up rather than deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (rate limits live here): the database by default, Redis in production.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "plugline.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "plugline",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "plugline_cache",
        }
    }

# The rendered pages of each account ("My account", plugline.core.account_pages) and the
# generations that end them: in Redis with the rest; without it, in files under VAR_DIR,
# which the web server, the worker and the scheduler of `make run` all see (a cache in
# each process's memory would keep a page the worker's renewal changed), and never in
# the database (a statement more for every write that changes a page).
if REDIS_URL:
    CACHES["pages"] = {
        "BACKEND": "plugline.core.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "plugline-pages",
    }
else:
    CACHES["pages"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "page_cache"),
    }

# Live chat's fan-out between ASGI processes (plugline.chat): Redis in production, so that
# a customer on one process and an agent on another hear each other; in `make run`, one
# process, the in-memory layer.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "plugline-chat"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# How many messages one chat connection may send in CHAT_RATE_SECONDS (a flood is refused).
CHAT_RATE_MESSAGES = env_int("CHAT_RATE_MESSAGES", 20, minimum=1)
CHAT_RATE_SECONDS = env_int("CHAT_RATE_SECONDS", 10, minimum=1)
# The largest image a chat accepts (PNG, JPEG or WebP), in bytes.
CHAT_ATTACHMENT_MAX_BYTES = env_int("CHAT_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# An agent counts as online while their console has been heard from within this many seconds.
CHAT_AGENT_SEEN_SECONDS = env_int("CHAT_AGENT_SEEN_SECONDS", 90, minimum=10)

# Background tasks: Django's task API, database backend, any number of workers.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Users and passwords.
AUTH_USER_MODEL = "accounts.User"
# Argon2id of the password's Unicode NFKC form (NIST SP 800-63B), so that a
# password typed with other code points for the same letters matches; hashes
# made before by plain argon2 still verify, and are redone at the next sign-in.
PASSWORD_HASHERS = [
    "plugline.accounts.hashers.NFKCArgon2PasswordHasher",
    "plugline.accounts.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# 8 to 128 characters, no rules about kinds of characters (NIST SP 800-63B):
# a password is refused when it is common (Django's offline list of 20,000
# from breaches), like the account's email or name, or a repeated character
# or simple sequence. An all-digit password is refused only for those
# reasons, not for being digits (that would be a composition rule).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "plugline.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "plugline.accounts.validators.SimplePatternValidator"},
]
AUTHENTICATION_BACKENDS = [
    "plugline.accounts.backends.IdentifierBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60, minimum=60)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 60 * 60, minimum=60)
# With Redis, a signed-in request reads its session from the cache, not the
# database, in the same round trip as its account's kept page (Django's
# cached_db, plugline.accounts.session_store, kept in the pages' cache); every
# session is still written to the database too, where the list of signed-in
# browsers and the hourly clean-up find them.
SESSION_ENGINE = (
    "plugline.accounts.session_store" if REDIS_URL else "django.contrib.sessions.backends.db"
)
if REDIS_URL:
    SESSION_CACHE_ALIAS = "pages"

# django-allauth: sign-in by "email or phone number", reset by link.
ACCOUNT_ADAPTER = "plugline.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Changing the password keeps this browser signed in (allauth updates its
# session's hash of the password) and signs out every other one (their
# sessions carry the old hash, which Django's authentication refuses).
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_FORMS = {
    "login": "plugline.accounts.forms.IdentifierLoginForm",
    "change_password": "plugline.accounts.forms.PasswordChangeForm",
    "reset_password": "plugline.accounts.forms.IdentifierResetPasswordForm",
    "add_email": "plugline.accounts.forms.AddEmailForm",
}
ACCOUNT_RATE_LIMITS = {
    # The 11th failed sign-in for one identifier within a minute is refused;
    # a client address gets a little more room (households share one).
    "login_failed": "30/m/ip,10/m/key,50/h/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    # "Renew without signing in" emails a one-time link: the same limits as a reset.
    "renew_link": "20/m/ip,5/m/key",
    # Every change on the Emails page (add, send the link again, make
    # preferred, remove) sends an email: per account, a person fixing a typo
    # never meets these, a script cannot make the page a mail cannon.
    "manage_email": "10/m/user,30/h/user",
    # Verification links, per address: one every 3 minutes (the last link
    # still works meanwhile), five a day.
    "confirm_email": "1/3m/key,5/d/key",
    # "Download my data" builds a file of the whole account: three an hour is plenty.
    "data_export": "3/h/user,10/h/ip",
    # "Close my account" checks the password: no guessing it from a signed-in browser.
    "close_account": "10/h/user,30/h/ip",
    # "Change password" checks the current password: no guessing it from a
    # signed-in browser. Every request to the page counts (allauth), so the
    # minute's allowance leaves room for a few typing mistakes.
    "change_password": "10/m/user,30/h/user,60/h/ip",
    # "Release this device" checks the password, like closing the account.
    "device_release": "10/h/user,30/h/ip",
    # "Call from this computer" asks for short-lived SIP credentials when the page opens
    # and again before they expire (SIP_EPHEMERAL_TTL): a page left open all day stays well
    # within this, a script cannot mint credentials in bulk.
    "softphone_credentials": "60/h/user,120/h/ip",
    # Each new card is checked by the gateway: not a way to test stolen cards.
    "card_add": "10/h/user,30/h/ip",
    # Asking the owner of a used device to release it emails them: a few a
    # day per device, so that nobody can flood an owner's inbox.
    "device_transfer_request": "10/h/ip,5/d/key",
    # Redeeming a Re-Up card: PIN tries per account and per client address,
    # and for the whole site (plugline.reup.guarding says why guessing fails).
    "reup_redeem": env_str("REUP_REDEEM_RATE_LIMITS", "10/h/user,20/h/ip"),
    # Opening a live chat (plugline.chat): per browser session and per client address.
    "chat_open": "10/h/key,30/h/ip",
    # Images sent in a chat: per browser session (customers) or staff member.
    "chat_attachment": "20/h/key,60/h/ip",
    "reup_redeem_global": env_str("REUP_REDEEM_GLOBAL_RATE_LIMITS", "1000/h/key"),
    # "Was this helpful?" on help articles: public, one answer per article and
    # browser session; a script cannot fill the staff's figures from one address.
    "help_feedback": "20/m/ip,200/d/ip",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Secondary emails: verified by link before use; the preferred ("primary")
# one receives everything; changes are announced to the previous address.
ACCOUNT_MAX_EMAIL_ADDRESSES = 5
ACCOUNT_CHANGE_EMAIL = False
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "account_email"
# Adding, removing or choosing the preferred email asks for the password
# again (once in ACCOUNT_REAUTHENTICATION_TIMEOUT): the preferred email
# receives password reset links.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300

# Two-factor sign-in: TOTP apps and recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = BRAND_NAME
MFA_RECOVERY_CODE_COUNT = 10
# Recovery codes are shown once, when they are made (with a download of them
# on that page); afterwards only new ones can be made.
MFA_RECOVERY_CODES_SHOW_ONCE = True
# allauth refuses to add an email to an account with two-factor on, against
# someone who signs up with another person's unverified address and locks
# them out with 2FA. Plugline has no open sign-up and signing in needs a
# verified email, so that cannot happen here; a secondary email is still
# unusable until its link is opened, and subscribers with 2FA must be able
# to add one (a used device's new owner).
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_FORMS = {
    "authenticate": "plugline.accounts.forms.TwoFactorAuthenticateForm",
    "reauthenticate": "plugline.accounts.forms.TwoFactorReauthenticateForm",
    "activate_totp": "plugline.accounts.forms.TwoFactorActivateForm",
}

# Signed-in browsers and devices, with their last use, for "Sign out everywhere else".
USERSESSIONS_TRACK_ACTIVITY = True
USERSESSIONS_ADAPTER = "plugline.accounts.sessions.UserSessionsAdapter"
# allauth asks Plugline's adapter for the client's address (plugline.core.http);
# its own setting agrees, for any allauth code that reads it directly.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# The help centre's "Still stuck?" link (plugline.helpcentre): a contact page of the
# operator's, when the live chat is not the place to send readers.
HELP_CONTACT_URL = env_str("HELP_CONTACT_URL", "")

# Languages.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("da", _("Danish"))]
LANGUAGE_COOKIE_NAME = "plugline_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
# Every form: errors read before hints (see plugline.core.forms).
FORM_RENDERER = "plugline.core.forms.FormRenderer"

# Support (plugline.support): the team's business hours, when live chat has agents and
# outside which it becomes a form that opens a ticket; days and spans separated by commas,
# in SUPPORT_TIME_ZONE (checked when the processes start, see plugline.support.hours).
SUPPORT_HOURS = env_str("SUPPORT_HOURS", "Mon-Fri 08:00-20:00, Sat 09:00-17:00")
SUPPORT_TIME_ZONE = env_str("SUPPORT_TIME_ZONE", "America/New_York")

# Devices and activation (see plugline.devices).
# The version of the terms of service that the activation wizard has accepted.
TERMS_OF_SERVICE_VERSION = env_str("TERMS_OF_SERVICE_VERSION", "2026-11")
# The port on 127.0.0.1 where the device agent (plugline-device) answers.
DEVICE_AGENT_PORT = env_int("DEVICE_AGENT_PORT", 7447, minimum=1)
# How long an emailed activation code works, and how many wrong tries it takes.
ACTIVATION_CODE_MINUTES = env_int("ACTIVATION_CODE_MINUTES", 15, minimum=1)
ACTIVATION_CODE_MAX_FAILURES = 5
# How long an abandoned activation wizard (a free trial's too) is kept before
# it is deleted; completed ones are kept.
ABANDONED_ACTIVATION_DAYS = env_int("ABANDONED_ACTIVATION_DAYS", 30, minimum=1)
# How long a number chosen in the wizard stays held, and how long a number
# left by a subscriber rests before someone else can have it.
NUMBER_RESERVATION_MINUTES = env_int("NUMBER_RESERVATION_MINUTES", 30, minimum=1)
NUMBER_QUARANTINE_DAYS = env_int("NUMBER_QUARANTINE_DAYS", 90, minimum=0)
# What a subscriber pays to change their device's number, in the billing
# currency's minor units (like plan prices).
NUMBER_CHANGE_FEE = env_int("NUMBER_CHANGE_FEE", 1500, minimum=1)
# The amounts of international minutes a subscriber can buy from the portal, in
# the billing currency's minor units, comma-separated (plugline.minutes).
MINUTES_TOP_UP_AMOUNTS = env_list("MINUTES_TOP_UP_AMOUNTS", ["500", "1000", "2000"])
if not MINUTES_TOP_UP_AMOUNTS or not all(
    amount.isdigit() and int(amount) > 0 for amount in MINUTES_TOP_UP_AMOUNTS
):
    raise ImproperlyConfigured(
        "MINUTES_TOP_UP_AMOUNTS must be positive whole numbers of minor units, e.g. 500,1000"
    )
# How long the owner of a used device has to answer a transfer request.
TRANSFER_REQUEST_DAYS = 7

# The phone line (see plugline.telephony.sip and README "The phone line (SIP)").
# The operator's SIP domain (the digest realm), the proxy devices send to
# ("host:port") and its transport; the key that derives each device's SIP
# password (empty: derived from SECRET_KEY). Changing the key changes every
# device's password: run `manage.py sip_provision` after, and devices fetch theirs again.
SIP_DOMAIN = env_str("SIP_DOMAIN", "sip.plugline.test")
SIP_PROXY = env_str("SIP_PROXY", "127.0.0.1:5060")
SIP_TRANSPORT = env_choice("SIP_TRANSPORT", "udp", {"udp", "tcp"})
SIP_PASSWORD_KEY = env_str("SIP_PASSWORD_KEY")
# Kamailio's JSON-RPC over HTTP (modules xhttp and jsonrpcs, on loopback), e.g.
# "http://127.0.0.1:5064/RPC": Plugline ends a line's registrations through it
# when the line ends (plugline.telephony.lines). Empty (`make run` without SIP):
# nothing is sent.
KAMAILIO_RPC_URL = env_str("KAMAILIO_RPC_URL")
# Where Kamailio sends calls out (its defines of the same names, README "Calls"):
# the carrier's trunk for numbers of the United States and Canada outside
# Plugline (sip:host[:port]), and the emergency service for 911 (a full SIP URI).
# Empty: such calls are answered 503.
SIP_CARRIER_URI = env_str("SIP_CARRIER_URI")
SIP_EMERGENCY_URI = env_str("SIP_EMERGENCY_URI")
# Calling from the browser (README "Calling from the browser"): the softphone's SIP over
# WebSocket URL (Kamailio's LISTEN_WS, behind nginx's wss:// in production; empty: the
# softphone is off), the secret Kamailio's auth_ephemeral shares with Plugline
# (SIP_EPHEMERAL_SECRET, the same value in kamailio.env) and how long the browser's
# credentials last (seconds).
SIP_WS_URL = env_str("SIP_WS_URL")
SIP_EPHEMERAL_SECRET = env_str("SIP_EPHEMERAL_SECRET")
SIP_EPHEMERAL_TTL = env_int("SIP_EPHEMERAL_TTL", 300, minimum=60)
# rtpengine as `make sip` starts it (`manage.py run_rtpengine`, on 127.0.0.1): its ng control
# port (Kamailio's RTPENGINE_SOCK, udp:127.0.0.1:<port>) and its media ports ("first-last").
# Production runs it from deploy/rtpengine/rtpengine.conf instead (plugline-rtpengine.service).
RTPENGINE_NG_PORT = env_int("RTPENGINE_NG_PORT", 2223, minimum=1)
RTPENGINE_PORTS = env_str("RTPENGINE_PORTS", "30000-30099")
# Voicemail (see plugline.voicemail and README "Voicemail"). Kamailio sends the calls a
# line does not take to VOICEMAIL_ADDR (its define of the same name, README "Forwarding, do
# not disturb and voicemail"; `make sip` passes it; empty: no voicemail, such calls end as
# they would without it). The voicemail
# server (`manage.py voicemail_server`, baresip driven over its control socket)
# listens for Kamailio's INVITEs on VOICEMAIL_ADDR ("host:port", UDP): a loopback
# or private address only, as it trusts whatever reaches it (no registration, no
# authentication). VOICEMAIL_CONTROL_PORT is baresip's control socket (loopback),
# VOICEMAIL_RTP_PORTS its media ports ("first-last") and VOICEMAIL_RTP_ADDRESS
# the address (or network interface) its SDP offers for media (empty: baresip's choice).
# A message lasts at most VOICEMAIL_MAX_SECONDS and is kept VOICEMAIL_RETENTION_DAYS.
VOICEMAIL_ADDR = env_str("VOICEMAIL_ADDR", "127.0.0.1:5090")
VOICEMAIL_CONTROL_PORT = env_int("VOICEMAIL_CONTROL_PORT", 5094, minimum=1)
VOICEMAIL_RTP_PORTS = env_str("VOICEMAIL_RTP_PORTS", "10500-10599")
VOICEMAIL_RTP_ADDRESS = env_str("VOICEMAIL_RTP_ADDRESS")
VOICEMAIL_MAX_SECONDS = env_int("VOICEMAIL_MAX_SECONDS", 120, minimum=5)
VOICEMAIL_RETENTION_DAYS = env_int("VOICEMAIL_RETENTION_DAYS", 60, minimum=1)
# Uploaded files (voicemail messages and greetings) go through Django's storage
# API: local files under MEDIA_ROOT by default; a production deployment may set
# STORAGES["default"] to S3-compatible storage (django-storages) instead.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# Billing (see plugline.billing). The gateway, and the secret that signs the
# sandbox's webhooks (empty: derived from SECRET_KEY).
PAYMENT_GATEWAY = env_choice("PAYMENT_GATEWAY", "sandbox", {"sandbox"})
SANDBOX_WEBHOOK_SECRET = env_str("SANDBOX_WEBHOOK_SECRET")
# The currency charged, and how long a trial lasts.
BILLING_CURRENCY = env_str("BILLING_CURRENCY", "USD").upper()
TRIAL_DAYS = env_int("TRIAL_DAYS", 30, minimum=1)
# Days after a subscription ends before its device is cut off (AutoRenew retries meanwhile).
BILLING_GRACE_DAYS = env_int("BILLING_GRACE_DAYS", 7, minimum=0)
# AutoRenew charges a subscription this many days before it ends.
AUTORENEW_DAYS_BEFORE = env_int("AUTORENEW_DAYS_BEFORE", 3, minimum=0)

# Re-Up cards: the key of the PINs' keyed hash (empty: derived from SECRET_KEY),
# and previous keys whose PINs still redeem. Changing the key without keeping
# the old one in the fallbacks makes every unredeemed card unusable.
REUP_PIN_KEY = env_str("REUP_PIN_KEY")
REUP_PIN_KEY_FALLBACKS = env_list("REUP_PIN_KEY_FALLBACKS")

# "Find a store" draws its map over a bundled outline of the countries, with no
# tile server. A deployment may add a tile layer: its URL template
# ("https://tiles.example.com/{z}/{x}/{y}.png") and the attribution its terms ask for.
STORE_MAP_TILE_URL = env_str("STORE_MAP_TILE_URL")
STORE_MAP_TILE_ATTRIBUTION = env_str("STORE_MAP_TILE_ATTRIBUTION")

# Failed redemptions within REUP_ALERT_WINDOW_MINUTES that raise a staff alert:
# from one account, from one client address, on the whole site.
REUP_ALERT_WINDOW_MINUTES = env_int("REUP_ALERT_WINDOW_MINUTES", 10, minimum=1)
REUP_ALERT_ACCOUNT_FAILURES = env_int("REUP_ALERT_ACCOUNT_FAILURES", 20, minimum=1)
REUP_ALERT_ADDRESS_FAILURES = env_int("REUP_ALERT_ADDRESS_FAILURES", 20, minimum=1)
REUP_ALERT_SITE_FAILURES = env_int("REUP_ALERT_SITE_FAILURES", 100, minimum=1)

# Region assumed for phone numbers typed without a country code.
DEFAULT_PHONE_REGION = env_str("DEFAULT_PHONE_REGION", "US").upper()

# Static files.
STATIC_URL = "static/"
# Filled by `collectstatic` in production; in DEBUG files come from the apps.
STATIC_ROOT = None if DEBUG else VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: rendered into the outbox, delivered by a background task.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    _email_backend_default = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    _email_backend_default = "django.core.mail.backends.console.EmailBackend"
else:
    raise ImproperlyConfigured("EMAIL_HOST is required when DEBUG is off")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", _email_backend_default)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{BRAND_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Delivery attempts before a message is marked failed (backoff doubles each time).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)

# Security. Production defaults are strict; DEBUG relaxes what needs HTTPS.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): the pages run only the site's own script
# files (no inline script, no inline event handler; data for a script is
# json_script, which is not run), style only from the site's own stylesheets,
# and forms post only to the site (the sandbox gateway's card page included).
# plugline.core.headers adds the device agent (127.0.0.1:DEVICE_AGENT_PORT) to
# connect-src for the activation page; "Find a store" adds the operator's
# STORE_MAP_TILE_URL server to img-src on its own page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the QR code of two-factor sign-in and the API docs' icons.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (django-permissions-policy): no page may use the camera or
# the microphone; only "Find a store" may ask where the browser is (stores.views).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "geolocation": [],
    "microphone": [],
}

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
# "plain" lines for people, or "json" for a log collector (plugline.core.logs):
# one object per line with time, level, logger, message and the request's id.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", {"plain", "json"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # The id of the request being served (None outside a request): django-guid's
        # filter, the id set by plugline.core.request_ids.
        "request_id": {
            "()": "django_guid.log_filters.CorrelationId",
            "correlation_id_field": "request_id",
        },
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "plugline.core.logs.json_formatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "plugline": {"level": LOG_LEVEL},
        "django_tasks": {"level": LOG_LEVEL},
    },
}
