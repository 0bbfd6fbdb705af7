"""Reads of the outbox, always scoped to the account asking."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from plugline.notifications.models import OutboxMessage


def outbox_export(user: AbstractBaseUser) -> list[dict[str, Any]]:
    """The emails sent to the account for its data export: when, to whom, the subject."""
    return [
        {
            "created_at": message["created_at"],
            "to": message["to_email"],
            "subject": message["subject"],
            "status": message["status"],
            "sent_at": message["sent_at"],
        }
        for message in OutboxMessage.objects.filter(user_id=user.pk)
        .order_by("-created_at", "-id")
        .values("created_at", "to_email", "subject", "status", "sent_at")
    ]
