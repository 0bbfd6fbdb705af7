"""Audit-log entries for sign-in events, whichever flow caused them; a saved user is read
again (and their pages rendered again) on the next request."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from plugline.accounts.browsers import browser_id_for_sign_in
from plugline.accounts.identifiers import parse_identifier, user_for_identifier
from plugline.accounts.models import User
from plugline.accounts.services import (
    LANGUAGE_CHOSEN_SESSION_KEY,
    browser_sign_in_record,
    user_set_language,
)
from plugline.core.account_pages import account_pages_changed
from plugline.core.models import AuditAction
from plugline.core.services import audit_record


@receiver(post_save, sender=User, dispatch_uid="account_pages_user_saved")
@receiver(post_delete, sender=User, dispatch_uid="account_pages_user_deleted")
def _user_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    # A new password, deactivation, a new name or language: the user kept for the
    # signed-in requests (accounts.middleware.AuthenticationMiddleware) and the pages.
    account_pages_changed(user_ids=[instance.pk])


@receiver(user_logged_in)
def _on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(action=AuditAction.SIGN_IN, request=request, user=user)


@receiver(user_logged_in)
def _on_logged_in_remember_browser(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    # After the sign-in's own audit event, so that the activity list reads
    # "Signed in", then "Sign-in from a new browser".
    browser_id = browser_id_for_sign_in(request)
    if browser_id is not None and isinstance(user, User):
        browser_sign_in_record(user=user, browser_id=browser_id, request=request)


@receiver(user_logged_in)
def _on_logged_in_keep_language(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    # A language chosen on the sign-in page is the subscriber's choice: it
    # becomes the account's, as if chosen after signing in.
    if request is None or not hasattr(request, "session") or not isinstance(user, User):
        return
    language = request.session.pop(LANGUAGE_CHOSEN_SESSION_KEY, None)
    if language in dict(settings.LANGUAGES):
        user_set_language(user=user, language=language, request=request)


@receiver(user_logged_out)
def _on_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        audit_record(action=AuditAction.SIGN_OUT, request=request, user=user)


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    raw = credentials.get("identifier") or credentials.get("email") or ""
    identifier = parse_identifier(str(raw))
    audit_record(
        action=AuditAction.SIGN_IN_FAILED,
        request=request,
        user=user_for_identifier(identifier),
        identifier=identifier.value,
        data={"reason": "credentials"},
    )


@receiver(password_reset)
def _on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit_record(action=AuditAction.PASSWORD_RESET, request=request, user=user)


@receiver(password_changed)
@receiver(password_set)
def _on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit_record(action=AuditAction.PASSWORD_CHANGED, request=request, user=user)


# Two-factor sign-in. Recovery codes made or dropped together with the
# authenticator app are part of turning it on or off, not events of their own.
@receiver(mfa_signals.authenticator_added)
def _on_authenticator_added(
    sender: Any,
    request: HttpRequest | None,
    user: User,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        audit_record(
            action=AuditAction.TWO_FACTOR_ENABLED,
            request=request,
            user=user,
            data={"method": "authenticator_app"},
        )


@receiver(mfa_signals.authenticator_removed)
def _on_authenticator_removed(
    sender: Any,
    request: HttpRequest | None,
    user: User,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        audit_record(
            action=AuditAction.TWO_FACTOR_DISABLED,
            request=request,
            user=user,
            data={"method": "authenticator_app"},
        )


@receiver(mfa_signals.authenticator_reset)
def _on_authenticator_reset(
    sender: Any,
    request: HttpRequest | None,
    user: User,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        audit_record(action=AuditAction.RECOVERY_CODES_GENERATED, request=request, user=user)


@receiver(mfa_signals.authentication_failed)
def _on_two_factor_failed(
    sender: Any,
    request: HttpRequest | None,
    user: User,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    # A wrong code after a right password: a failed sign-in (or a failed
    # confirmation before a security change, when already signed in).
    reason = "reauthentication_code" if kwargs.get("reauthentication") else "two_factor_code"
    audit_record(
        action=AuditAction.SIGN_IN_FAILED, request=request, user=user, data={"reason": reason}
    )


# Emails of the account (allauth's email management). The audit data names
# the addresses, never the confirmation link.
@receiver(account_signals.email_added)
def _on_email_added(
    sender: Any, request: HttpRequest | None, user: User, email_address: EmailAddress, **kwargs: Any
) -> None:
    audit_record(
        action=AuditAction.EMAIL_ADDED,
        request=request,
        user=user,
        data={"email": email_address.email},
    )
    # allauth announces removals and a new preferred email, not additions:
    # the preferred email hears of a new address before it can be used.
    get_adapter(request).send_notification_mail(
        "account/email/email_added", user, {"added_email": email_address.email}
    )


@receiver(account_signals.email_confirmed)
def _on_email_confirmed(
    sender: Any, request: HttpRequest | None, email_address: EmailAddress, **kwargs: Any
) -> None:
    audit_record(
        action=AuditAction.EMAIL_VERIFIED,
        request=request,
        user=email_address.user,
        data={"email": email_address.email},
    )


@receiver(account_signals.email_removed)
def _on_email_removed(
    sender: Any, request: HttpRequest | None, user: User, email_address: EmailAddress, **kwargs: Any
) -> None:
    audit_record(
        action=AuditAction.EMAIL_REMOVED,
        request=request,
        user=user,
        data={"email": email_address.email},
    )


@receiver(account_signals.email_changed)
def _on_preferred_email_changed(
    sender: Any,
    request: HttpRequest | None,
    user: User,
    from_email_address: EmailAddress | None,
    to_email_address: EmailAddress,
    **kwargs: Any,
) -> None:
    audit_record(
        action=AuditAction.PREFERRED_EMAIL_CHANGED,
        request=request,
        user=user,
        data={
            "from": from_email_address.email if from_email_address is not None else "",
            "to": to_email_address.email,
        },
    )
