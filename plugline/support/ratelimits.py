"""Rate limits of the support forms: "amount/period/per", per client address ("ip") or per
requester or ticket ("key"), in the cache every web process shares (allauth's counters)."""

from __future__ import annotations

from allauth.core.internal.ratelimit import consume
from django.http import HttpRequest

SUPPORT_RATE_LIMITS = {
    # The contact form opens a ticket and sends an email: a person writes a few a day,
    # a script cannot fill the desk or make the form a mail cannon.
    "support_contact": "5/10m/ip,20/d/ip,3/10m/key,10/d/key",
    # Answers in a ticket's thread, per ticket.
    "support_reply": "30/h/ip,20/h/key",
    # Secret links that open no ticket, per client address: a person mistypes or follows an
    # old link a few times, a script guessing tokens is stopped. A right link never counts.
    "support_link_failed": "20/m/ip,100/h/ip",
}


def rate_limit_consume(
    request: HttpRequest, *, action: str, key: str | None = None, dry_run: bool = False
) -> bool:
    """Count one use of `action` by `key`; False if a limit is reached. With `dry_run`,
    only whether a limit is reached already, nothing counted."""
    usage = consume(
        request,
        app="plugline.support",
        action=action,
        config=SUPPORT_RATE_LIMITS,
        key=key.lower() if key is not None else None,
        limit_get=True,
        dry_run=dry_run,
    )
    return usage is not None
