"""Writes of the accounts app."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plugline.accounts.browsers import browser_hash
from plugline.accounts.closing import account_closing_hooks
from plugline.accounts.data_export import data_export_build
from plugline.accounts.models import KnownBrowser, User
from plugline.accounts.selectors import user_past_emails
from plugline.core.account_pages import account_pages_changed
from plugline.core.addresses import ADDRESS_FIELDS, address_normalize
from plugline.core.http import client_ip, user_agent
from plugline.core.models import AuditAction
from plugline.core.services import audit_events_unlink, audit_record
from plugline.core.time_zones import is_time_zone, time_zone_get
from plugline.notifications.services import email_send, outbox_forget

# What the Profile page edits, besides the language (see user_profile_update).
PROFILE_FIELDS = ("first_name", "last_name", *ADDRESS_FIELDS, "time_zone")
# How many browsers an account remembers for the new-browser alert.
KNOWN_BROWSERS_KEPT = 50
# The language someone chose on the site before signing in (see views.set_language).
LANGUAGE_CHOSEN_SESSION_KEY = "plugline_language_chosen"


@transaction.atomic
def user_set_language(*, user: User, language: str, request: HttpRequest | None = None) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unsupported language {language!r}")
    if user.language == language:
        return
    previous = user.language
    User.objects.filter(pk=user.pk).update(language=language)
    account_pages_changed(user_ids=[user.pk])  # update() sends no post_save
    user.language = language
    audit_record(
        action=AuditAction.LANGUAGE_CHANGED,
        request=request,
        user=user,
        data={"from": previous, "to": language},
    )


@transaction.atomic
def data_export_create(*, user: User, request: HttpRequest | None = None) -> dict[str, Any]:
    """Everything Plugline holds about the account ("Download my data"), audited."""
    audit_record(action=AuditAction.DATA_EXPORTED, request=request, user=user)
    return data_export_build(user=user)


@transaction.atomic
def account_close(*, user: User, request: HttpRequest | None = None) -> None:
    """Close the account for good: what must be kept is kept unlinked, the rest is deleted.

    The rule is in README.md ("Privacy: closing an account"): the audit log
    stays, detached from the person (see `audit_events_unlink`); the apps
    above accounts release what they hold through their closing hooks (the
    devices leave the account); sessions, emails, two-factor authenticators and
    the emails sent to the account are deleted with it. A confirmation goes to
    the preferred email; its outbox row outlives the user (no link to it).
    """
    addresses = {
        user.email,
        user.original_email,
        *EmailAddress.objects.filter(user_id=user.pk).values_list("email", flat=True),
        # Emails removed before: the audit log still names them.
        *user_past_emails(user),
    }
    audit_record(action=AuditAction.ACCOUNT_CLOSED, request=request, user=user)
    for hook in account_closing_hooks():
        hook(user)
    for session in UserSession.objects.filter(user_id=user.pk):
        session.end()
    outbox_forget(user=user, addresses=addresses)
    email_send(
        template="accounts/email/account_closed",
        to=user.email,
        context={"name": user.get_short_name(), "email": user.email},
        language=user.language,
        user=user,
    )
    audit_events_unlink(user=user, personal_values=addresses)
    # Cascades to the emails, two-factor authenticators and session records;
    # Device.owner is PROTECT, so a device still on the account stops this.
    user.delete()


@transaction.atomic
def user_sessions_end(
    *, user: User, sessions: Iterable[UserSession], request: HttpRequest | None = None
) -> int:
    """Sign the account out of these browsers ("Sign out everywhere else"); how many ended.

    Each browser's session is deleted, so its next request finds it signed
    out. One audit event tells how many were ended, never which session keys.
    """
    ended = 0
    for session in sessions:
        if session.user_id != user.pk:
            raise ValueError("a session of another account")
        session.end()
        ended += 1
    if ended:
        audit_record(
            action=AuditAction.SESSIONS_ENDED, request=request, user=user, data={"count": ended}
        )
    return ended


# Session engines that keep every session in the database table (cached_db
# keeps a copy in the cache too): ended sessions can be found with one query.
DATABASE_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
    "plugline.accounts.session_store",
)


@transaction.atomic
def user_sessions_prune(*, user: User | None = None) -> int:
    """Forget the browsers whose session has ended (expired or deleted); how many.

    For `user`'s account, or for every account (the hourly job). With the
    session in the database this is one statement, whatever the number of
    sessions: signing in and the list of browsers cost the same for an
    account signed in from a hundred browsers as for a new one. Sessions
    signed out by a password change are forgotten at the change
    (`user_sessions_forget_others`).
    """
    records = UserSession.objects.all() if user is None else UserSession.objects.filter(user=user)
    if settings.SESSION_ENGINE in DATABASE_SESSION_ENGINES:
        live = Session.objects.filter(
            session_key=OuterRef("session_key"), expire_date__gt=timezone.now()
        )
        deleted, _ = records.exclude(Exists(live)).delete()
        return deleted
    # Another engine: ask it about each session.
    ended = [record.pk for record in records.iterator() if not record.exists()]
    deleted, _ = UserSession.objects.filter(pk__in=ended).delete()
    return deleted


@transaction.atomic
def user_sessions_forget_others(*, user: User, keep: str | None) -> int:
    """Forget every browser of `user`'s account but the session `keep`; how many.

    After a password change or reset the other sessions are signed out (their
    password hash no longer matches), so the list of browsers stops showing
    them at once rather than until they expire.
    """
    deleted, _ = UserSession.objects.filter(user=user).exclude(session_key=keep or "").delete()
    return deleted


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    profile: Mapping[str, str],
    language: str | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Save the name, contact address and time zone (and language); the fields that changed.

    `profile` has the keys of PROFILE_FIELDS. The address is checked and
    normalised here (ValidationError, by field, if it is not an address of
    its country), so every way in stores the same form of it. The audit
    event names the fields that changed, never their values; a new language
    is recorded by `user_set_language`.
    """
    names = {field: " ".join(str(profile.get(field, "")).split()) for field in PROFILE_FIELDS}
    names.update(address_normalize(profile))
    if not is_time_zone(names["time_zone"]):
        raise ValidationError(
            {"time_zone": ValidationError(_("Choose a time zone from the list."), code="invalid")}
        )
    changed = [field for field in PROFILE_FIELDS if getattr(user, field) != names[field]]
    if changed:
        for field in changed:
            setattr(user, field, names[field])
        user.save(update_fields=changed)
        audit_record(
            action=AuditAction.PROFILE_CHANGED,
            request=request,
            user=user,
            data={"fields": changed},
        )
    if language is not None and language != user.language:
        user_set_language(user=user, language=language, request=request)
        changed.append("language")
    return changed


@transaction.atomic
def browser_sign_in_record(
    *, user: User, browser_id: str, request: HttpRequest | None = None
) -> bool:
    """Remember the browser that just signed in; True if it was new to the account.

    A browser new to an account that has signed in before is announced by
    a security email to the preferred address, and audited. An account's
    first browser is not news (the account was just made, or it signed in
    before browsers were remembered). The oldest browsers are forgotten
    beyond KNOWN_BROWSERS_KEPT.
    """
    now = timezone.now()
    digest = browser_hash(browser_id)
    if KnownBrowser.objects.filter(user=user, browser_hash=digest).update(last_seen_at=now):
        return False
    has_history = KnownBrowser.objects.filter(user=user).exists()
    _browser, created = KnownBrowser.objects.get_or_create(
        user=user, browser_hash=digest, defaults={"first_seen_at": now, "last_seen_at": now}
    )
    forgotten = list(
        KnownBrowser.objects.filter(user=user)
        .order_by("-last_seen_at", "-id")
        .values_list("id", flat=True)[KNOWN_BROWSERS_KEPT:]
    )
    if forgotten:
        KnownBrowser.objects.filter(id__in=forgotten).delete()
    if not (created and has_history):
        return False
    audit_record(action=AuditAction.NEW_BROWSER_SIGN_IN, request=request, user=user)
    # The email states the time in the subscriber's own zone.
    with timezone.override(time_zone_get(user.time_zone)):
        email_send(
            template="account/email/new_browser_sign_in",
            to=user.email,
            context={
                "user": user,
                "timestamp": now,
                "ip": client_ip(request) if request is not None else None,
                "user_agent": user_agent(request) if request is not None else "",
            },
            language=user.language,
            user=user,
        )
    return True
