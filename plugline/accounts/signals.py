"""Audit-log entries for sign-in events, whichever flow caused them."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from plugline.accounts.identifiers import parse_identifier, user_for_identifier
from plugline.accounts.models import User
from plugline.core.models import AuditAction
from plugline.core.services import audit_record


@receiver(user_logged_in)
def _on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(action=AuditAction.SIGN_IN, request=request, user=user)


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
