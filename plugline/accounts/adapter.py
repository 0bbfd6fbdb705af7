"""The allauth adapter: the points where Plugline bends allauth to its rules."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from plugline.accounts.identifiers import parse_identifier, user_for_identifier
from plugline.accounts.models import User
from plugline.core.http import client_ip
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.notifications.services import email_send

_MISMATCH = _("The email or phone number and password you entered do not match an account.")


# allauth's notice of a new preferred ("primary") email.
EMAIL_CHANGED_NOTICE = "account/email/email_changed"
# The link that confirms an email (and its sign-up variant).
_CONFIRMATION_MAIL = "account/email/email_confirmation"
_CANNOT_REMOVE_MESSAGE = "account/messages/cannot_delete_primary_email.txt"
_PREFERRED_SET_MESSAGE = "account/messages/primary_email_set.txt"


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _MISMATCH,
        "phone_password_mismatch": _MISMATCH,
        "username_password_mismatch": _MISMATCH,
        "duplicate_email": _("This email is already on your account."),
        "max_email_addresses": _(
            "An account can have at most %d emails. Remove one before adding another."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by activating a device, not by a bare sign-up.
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits and signed-in sessions see the same client
        # address as Plugline's own limits and audit log.
        ip = client_ip(request)
        if ip is None:
            raise PermissionDenied("Unable to determine the client's address")
        return ip

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
        if template_prefix.startswith(_CONFIRMATION_MAIL):
            context = {**context, "link_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS}
        email_send(
            template=template_prefix,
            to=email,
            context={"email": email, **context},
            language=language,
            user=user,
        )

    def send_notification_mail(
        self,
        template_prefix: str,
        user: AbstractBaseUser,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        """A security notice, to the preferred email unless allauth names another address.

        allauth sends it to its "primary" address and leaves the user out of
        the context; the user goes in, so that the notice is written in the
        account's language and filed under the account even when it goes to
        an address the account no longer prefers. A new preferred email is
        announced to both addresses: the previous one (allauth's) and the new.
        """
        context = {**(context or {}), "user": user}
        preferred = User.objects.filter(pk=user.pk).values_list("email", flat=True).first()
        super().send_notification_mail(template_prefix, user, context, email or preferred)
        new_address = context.get("to_email")
        if (
            template_prefix == EMAIL_CHANGED_NOTICE
            and new_address
            and email
            and email.lower() != new_address.lower()
        ):
            super().send_notification_mail(
                template_prefix, user, {**context, "to_new_address": True}, new_address
            )

    def can_delete_email(self, email_address: EmailAddress) -> bool:
        # The email the account was registered with stays for good.
        if email_address.pk and email_address.email.lower() == _original_email(
            email_address.user_id
        ):
            return False
        return super().can_delete_email(email_address)

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        # allauth's messages about emails carry little context; ours say why
        # an email cannot be removed, and which email is now preferred.
        user = getattr(request, "user", None)
        if message_template in (_CANNOT_REMOVE_MESSAGE, _PREFERRED_SET_MESSAGE) and isinstance(
            user, User
        ):
            preferred = EmailAddress.objects.get_primary_email(user) or ""
            message_context = {**(message_context or {}), "preferred_email": preferred}
            email = message_context.get("email", "")
            message_context["is_original"] = email.lower() == _original_email(user.pk)
            message_context["is_preferred"] = email.lower() == preferred.lower()
        super().add_message(request, level, message_template, message_context, extra_tags, message)


def _original_email(user_id: int | None) -> str:
    if user_id is None:
        return ""
    original = User.objects.filter(pk=user_id).values_list("original_email", flat=True).first()
    return (original or "").lower()
