"""Writes of the accounts app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from plugline.accounts.data_export import data_export_build
from plugline.accounts.models import User
from plugline.core.models import AuditAction
from plugline.core.services import audit_record


@transaction.atomic
def user_set_language(*, user: User, language: str, request: HttpRequest | None = None) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unsupported language {language!r}")
    if user.language == language:
        return
    previous = user.language
    User.objects.filter(pk=user.pk).update(language=language)
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
