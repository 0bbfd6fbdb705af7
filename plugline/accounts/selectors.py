"""Reads of the accounts app, always scoped to the account asking."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession

from plugline.accounts.models import KnownBrowser, User
from plugline.core.models import AuditAction, AuditEvent

# Fields of the user that the data export leaves out: the password hash, and
# flags that say nothing about the person (staff, superuser, active).
PROFILE_EXPORT_EXCLUDED_FIELDS = frozenset({"password", "is_staff", "is_superuser", "is_active"})


def _json_value(value: Any) -> Any:
    if value is None or isinstance(
        value, str | bool | int | float | Decimal | datetime.date | datetime.time
    ):
        return value
    return str(value)  # e.g. a time zone or country object: its name


def user_profile_export(user: User) -> dict[str, Any]:
    """Every field of the account except the password hash and internal flags.

    Built from the model's fields, so a field added to the profile is
    exported without touching this function; a new field that holds a secret
    must be added to PROFILE_EXPORT_EXCLUDED_FIELDS.
    """
    return {
        field.attname: _json_value(field.value_from_object(user))
        for field in User._meta.concrete_fields
        if field.name not in PROFILE_EXPORT_EXCLUDED_FIELDS
    }


@dataclass(frozen=True)
class AccountEmail:
    """One email of the account, as the Emails page shows it."""

    address: str
    verified: bool
    preferred: bool
    # The registration email: it stays on the account for good.
    original: bool

    @property
    def removable(self) -> bool:
        # The preferred email is removed only after another one is made preferred.
        return not (self.original or self.preferred)


def user_email_list(*, user: User) -> list[AccountEmail]:
    """The account's emails: the preferred one first, then the original, then by age."""
    original = user.original_email.lower()
    emails = [
        AccountEmail(
            address=email.email,
            verified=email.verified,
            preferred=email.primary,
            original=email.email.lower() == original,
        )
        for email in EmailAddress.objects.filter(user_id=user.pk).order_by("id")
    ]
    return sorted(emails, key=lambda email: (not email.preferred, not email.original))


# Audit events whose data names an email of the account.
_EMAIL_EVENTS = (
    AuditAction.EMAIL_ADDED,
    AuditAction.EMAIL_VERIFIED,
    AuditAction.EMAIL_REMOVED,
    AuditAction.PREFERRED_EMAIL_CHANGED,
)


def user_past_emails(user: User) -> set[str]:
    """Every email the audit log says the account had, removed ones included."""
    past: set[str] = set()
    for data in AuditEvent.objects.filter(user_id=user.pk, action__in=_EMAIL_EVENTS).values_list(
        "data", flat=True
    ):
        past.update(value for value in data.values() if isinstance(value, str) and value)
    return past


def user_email_export(user: User) -> list[dict[str, Any]]:
    original = user.original_email.lower()
    return [
        {
            "address": email.email,
            "verified": email.verified,
            "preferred": email.primary,
            "original": email.email.lower() == original,
        }
        for email in EmailAddress.objects.filter(user_id=user.pk).order_by("id")
    ]


def user_session_export(user: User) -> list[dict[str, Any]]:
    """Signed-in browsers and devices; never the session key."""
    return [
        {
            "ip_address": session["ip"],
            "user_agent": session["user_agent"],
            "signed_in_at": session["created_at"],
            "last_seen_at": session["last_seen_at"],
        }
        for session in UserSession.objects.filter(user_id=user.pk)
        .order_by("-last_seen_at", "-id")
        .values("ip", "user_agent", "created_at", "last_seen_at")
    ]


def user_two_factor_export(user: User) -> list[dict[str, Any]]:
    """Which second factors are on, and since when; never the secret or the codes."""
    return [
        {
            "type": authenticator["type"],
            "created_at": authenticator["created_at"],
            "last_used_at": authenticator["last_used_at"],
        }
        # .values(): the secret (in `data`) is not even read.
        for authenticator in Authenticator.objects.filter(user_id=user.pk)
        .order_by("created_at", "id")
        .values("type", "created_at", "last_used_at")
    ]


def user_known_browser_export(user: User) -> list[dict[str, Any]]:
    """Browsers remembered for the new-browser alert: when first and last seen, never the id."""
    return [
        {"first_seen_at": browser["first_seen_at"], "last_seen_at": browser["last_seen_at"]}
        for browser in KnownBrowser.objects.filter(user_id=user.pk)
        .order_by("first_seen_at", "id")
        .values("first_seen_at", "last_seen_at")
    ]
