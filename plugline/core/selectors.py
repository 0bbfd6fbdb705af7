"""Reads of the core app, always scoped to the account asking."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from plugline.core.models import AuditEvent


def audit_event_export(user: AbstractBaseUser) -> list[dict[str, Any]]:
    """The account's audit events for its data export, newest first."""
    return [
        {
            "action": event["action"],
            "created_at": event["created_at"],
            "ip_address": event["ip_address"],
            "user_agent": event["user_agent"],
        }
        for event in AuditEvent.objects.filter(user_id=user.pk)
        .order_by("-created_at", "-id")
        .values("action", "created_at", "ip_address", "user_agent")
    ]


def audit_events_recent(user: AbstractBaseUser, *, limit: int = 20) -> list[AuditEvent]:
    """The account's latest audit events, newest first, in one query.

    For "Recent security activity"; `data` is read for the reason of a
    failed sign-in, and never holds a secret.
    """
    return list(
        AuditEvent.objects.filter(user_id=user.pk)
        .order_by("-created_at", "-id")
        .only("action", "created_at", "ip_address", "user_agent", "data")[:limit]
    )
