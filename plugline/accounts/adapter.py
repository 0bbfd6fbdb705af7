"""The allauth adapter: the points where Plugline bends allauth to its rules."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from plugline.accounts.identifiers import parse_identifier, user_for_identifier
from plugline.accounts.models import User
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.notifications.services import email_send

_MISMATCH = _("The email or phone number and password you entered do not match an account.")


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _MISMATCH,
        "phone_password_mismatch": _MISMATCH,
        "username_password_mismatch": _MISMATCH,
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by activating a device, not by a bare sign-up.
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # One counter per account, whichever of its emails or numbers (in
        # whatever format) is typed; unknown identifiers count by their text.
        raw = credentials.get("identifier") or credentials.get("email") or ""
        identifier = parse_identifier(raw)
        user = user_for_identifier(identifier)
        if user is not None:
            return f"user:{user.pk}"
        return f"{identifier.kind}:{identifier.value or raw.strip().lower()}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except Exception:
            identifier = parse_identifier(credentials.get("identifier", ""))
            audit_record(
                action=AuditAction.SIGN_IN_FAILED,
                request=request,
                user=user_for_identifier(identifier),
                identifier=identifier.value,
                data={"reason": "throttled"},
            )
            raise

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        # The Security page, where "Password changed" now tops the recent activity.
        return reverse("accounts:security")

    def send_password_reset_mail(self, user: Any, email: str, context: dict[str, Any]) -> None:
        hours = max(1, round(settings.PASSWORD_RESET_TIMEOUT / 3600))
        super().send_password_reset_mail(user, email, {**context, "reset_link_hours": hours})

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        language = user.language if user is not None else (get_language() or "en")
        email_send(
            template=template_prefix,
            to=email,
            context=context,
            language=language,
            user=user,
        )
