"""Writes of the core app: the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from plugline.core.http import client_ip, user_agent
from plugline.core.models import AuditAction, AuditEvent


def audit_record(
    *,
    action: AuditAction,
    request: HttpRequest | None = None,
    user: AbstractBaseUser | None = None,
    actor: AbstractBaseUser | None = None,
    identifier: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the audit log. Callers pass no secret in `data`."""
    return AuditEvent.objects.create(
        action=action,
        user_id=user.pk if user is not None else None,
        subject_id=user.pk if user is not None else None,
        actor_id=actor.pk if actor is not None else None,
        identifier=identifier[:254],
        ip_address=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        data=data or {},
    )
