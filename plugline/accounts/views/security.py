"""Security: the way to each security setting, and the account's recent security activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from plugline.accounts.models import User
from plugline.accounts.user_agents import user_agent_describe
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.selectors import audit_events_recent

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# How many events "Recent security activity" shows.
ACTIVITY_LENGTH = 20

# Why a sign-in failed, as recorded by plugline.accounts.signals and adapter.
_FAILURE_REASONS: dict[str, StrOrPromise] = {
    "credentials": _("Wrong password"),
    "throttled": _("Too many attempts: refused for a while"),
    "two_factor_code": _("Wrong two-factor code"),
    "reauthentication_code": _("Wrong code when confirming a change"),
}


@dataclass(frozen=True)
class ActivityEntry:
    what: StrOrPromise
    when: datetime
    address: str
    browser: str
    detail: StrOrPromise
    failed: bool


def _entry(event: AuditEvent) -> ActivityEntry:
    failed = event.action == AuditAction.SIGN_IN_FAILED
    reason = event.data.get("reason", "") if failed and isinstance(event.data, dict) else ""
    return ActivityEntry(
        what=event.get_action_display(),
        when=event.created_at,
        address=event.ip_address or "",
        browser=user_agent_describe(event.user_agent) if event.user_agent else "",
        detail=_FAILURE_REASONS.get(reason, ""),
        failed=failed,
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Password, two-factor sign-in, signed-in browsers, and what happened lately."""
    assert isinstance(request.user, User)  # login_required let the request in
    events = audit_events_recent(request.user, limit=ACTIVITY_LENGTH)
    activity = [_entry(event) for event in events]
    return render(request, "accounts/security.html", {"activity": activity})
