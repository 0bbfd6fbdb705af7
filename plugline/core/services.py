"""Writes of the core app: the audit log and alerts for staff."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from plugline.core.http import client_ip, user_agent
from plugline.core.models import AuditAction, AuditEvent, StaffAlert

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class AuditRecord:
    """One event for `audit_records`: what `audit_record` takes, without a request."""

    action: AuditAction
    user: AbstractBaseUser | None = None
    data: dict[str, Any] = field(default_factory=dict)


def audit_records(records: Iterable[AuditRecord]) -> list[AuditEvent]:
    """Add several events to the audit log in one statement (a batch's own events)."""
    return AuditEvent.objects.bulk_create(
        AuditEvent(
            action=record.action,
            user_id=record.user.pk if record.user is not None else None,
            subject_id=record.user.pk if record.user is not None else None,
            data=record.data,
        )
        for record in records
    )


@transaction.atomic
def audit_events_unlink(*, user: AbstractBaseUser, personal_values: Iterable[str] = ()) -> int:
    """Detach a closing account's audit trail from the person; the number of events.

    The events stay, with their `subject_id` (the account's id), action, time,
    client address and browser: the operator keeps them to investigate abuse
    and fraud. What names the person goes: the link to the user, the email or
    number typed to sign in (`identifier`), and any string in `data` that
    contains one of `personal_values` (the account's emails).
    """
    # Events older than `subject_id` carry only the link to the user.
    AuditEvent.objects.filter(user_id=user.pk, subject_id__isnull=True).update(subject_id=user.pk)
    events = AuditEvent.objects.filter(subject_id=user.pk)
    needles = [value.lower() for value in personal_values if value]
    if needles:
        changed = []
        for event in events.exclude(data={}).only("id", "data"):
            scrubbed = _scrub(event.data, needles)
            if scrubbed != event.data:
                event.data = scrubbed
                changed.append(event)
        AuditEvent.objects.bulk_update(changed, ["data"], batch_size=500)
    return events.update(user=None, identifier="")


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        return "" if any(needle in value.lower() for needle in needles) else value
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, needles) for key, item in value.items()}
    return value


def staff_alert_raise(
    *, kind: str, message: str, dedupe_key: str, data: dict[str, Any] | None = None
) -> StaffAlert:
    """Raise an alert for staff (logged, and listed in the admin), once per `dedupe_key`.

    Raising the same key again adds to the alert's repeat count; the log
    line is written each time, so that log-based monitoring sees the burst.
    """
    logger.warning("staff alert %s: %s %s", kind, message, data or {})
    alert, created = StaffAlert.objects.get_or_create(
        dedupe_key=dedupe_key[:200],
        defaults={"kind": kind, "message": message[:300], "data": data or {}},
    )
    if not created:
        StaffAlert.objects.filter(pk=alert.pk).update(
            repeats=F("repeats") + 1, last_seen_at=timezone.now()
        )
        alert.refresh_from_db()
    return alert
