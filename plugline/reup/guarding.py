"""Limits on redeeming Re-Up PINs, and the staff alert on a burst of failures.

Why the limits make guessing hopeless: a PIN is 16 random digits, 10^16
possibilities. With N cards sold and not yet redeemed, one guess succeeds
with probability N / 10^16. Each account may try 10 PINs an hour, each
client address 20, and the whole site 1,000 whatever the number of
accounts and addresses used (settings.ACCOUNT_RATE_LIMITS, "reup_redeem"
and "reup_redeem_global"). Even with a million live cards, the site-wide
limit lets 8.8 million guesses through in a year: a 0.09 % chance of a
single hit, and about 1,100 years on average before one. Meanwhile the
first 20 failures of an account or address within 10 minutes (100 for the
whole site) raise an alert for staff, so a guessing run is seen within
minutes of its start.

Tries are counted by allauth's rate limits in the cache that every web
process shares (Redis in production, the database cache in `make run`);
failures are rows in the database (ReupRedeemFailure), so the alert holds
across processes and machines. A throttled try counts as a failure.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from allauth.core.internal.ratelimit import consume
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from plugline.core.http import client_ip
from plugline.core.models import StaffAlert
from plugline.core.services import staff_alert_raise
from plugline.reup.models import ReupRedeemFailure

logger = logging.getLogger(__name__)

RATE_LIMIT_APP = "plugline.reup"
ACTION = "reup_redeem"  # per account and per client address
GLOBAL_ACTION = "reup_redeem_global"  # the whole site: one key for everyone
ALERT_KIND = "reup_redeem_burst"
# Failure rows older than this are deleted by the hourly job below.
KEEP_FAILURES = dt.timedelta(days=1)
PRUNE_JOB_NAME = "reup.prune_redeem_failures"
PRUNE_JOB_EVERY = dt.timedelta(hours=1)
# An alert already raised is raised again (its repeat count) at most this often.
REPEAT_EVERY_SECONDS = 60


class Scope(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"
    SITE = "site"


def attempt_allowed(*, request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Count one try at a PIN; False when a limit is reached (then no PIN is looked up).

    The account's and the address's limits are counted first, so that a
    throttled account does not use up the whole site's allowance.
    """
    config = settings.ACCOUNT_RATE_LIMITS
    for action, key in ((ACTION, None), (GLOBAL_ACTION, "all")):
        usage = consume(
            request,
            app=RATE_LIMIT_APP,
            action=action,
            config=config,
            key=key,
            user=user,
            limit_get=True,
        )
        if usage is None:
            return False
    return True


def failure_record(
    *, user: AbstractBaseUser, request: HttpRequest | None, throttled: bool
) -> ReupRedeemFailure:
    """Note a refused or throttled try; alert staff when it makes a burst."""
    now = timezone.now()
    failure = ReupRedeemFailure.objects.create(
        user_id=user.pk,
        ip_address=client_ip(request) if request is not None else None,
        throttled=throttled,
    )
    _alert_if_burst(failure=failure, now=now)
    return failure


def failures_prune() -> int:
    """Delete the failure rows older than KEEP_FAILURES (a periodic job); how many."""
    deleted, _ = ReupRedeemFailure.objects.filter(
        created_at__lt=timezone.now() - KEEP_FAILURES
    ).delete()
    return deleted


def _thresholds() -> dict[Scope, int]:
    return {
        Scope.ACCOUNT: settings.REUP_ALERT_ACCOUNT_FAILURES,
        Scope.ADDRESS: settings.REUP_ALERT_ADDRESS_FAILURES,
        Scope.SITE: settings.REUP_ALERT_SITE_FAILURES,
    }


def _alert_if_burst(*, failure: ReupRedeemFailure, now: dt.datetime) -> None:
    """Alert for the narrowest scope in a burst: an account, else an address, else the site.

    One guesser using one account from one address is one incident, told
    once (as the account's), not three times.
    """
    window = dt.timedelta(minutes=settings.REUP_ALERT_WINDOW_MINUTES)
    recent = ReupRedeemFailure.objects.filter(created_at__gte=now - window)
    counted: list[tuple[Scope, QuerySet[ReupRedeemFailure], str]] = []
    if failure.user_id is not None:
        counted.append(
            (Scope.ACCOUNT, recent.filter(user_id=failure.user_id), str(failure.user_id))
        )
    if failure.ip_address:
        counted.append(
            (Scope.ADDRESS, recent.filter(ip_address=failure.ip_address), failure.ip_address)
        )
    counted.append((Scope.SITE, recent, "all"))
    thresholds = _thresholds()
    for scope, failures, who in counted:
        count = failures.count()
        if count >= thresholds[scope]:
            _alert_raise(scope=scope, who=who, count=count, window=window, now=now)
            return


def _alert_raise(
    *, scope: Scope, who: str, count: int, window: dt.timedelta, now: dt.datetime
) -> None:
    prefix = f"{ALERT_KIND}:{scope}:{who}:"
    # At most once a minute per scope: the log line and the repeat count show
    # that the burst goes on, without a write for every guess.
    if not cache.add(f"plugline:reup:alerted:{prefix}", True, REPEAT_EVERY_SECONDS):
        return
    # One alert per incident: an incident goes on while its alert was seen
    # within the window; otherwise a new one starts, named by the window it
    # starts in (two processes starting it at once name it alike).
    ongoing = (
        StaffAlert.objects.filter(dedupe_key__startswith=prefix, last_seen_at__gte=now - window)
        .order_by("-last_seen_at")
        .values_list("dedupe_key", flat=True)
        .first()
    )
    window_start = int(now.timestamp() // window.total_seconds())
    minutes = int(window.total_seconds() // 60)
    subject = {
        Scope.ACCOUNT: f"account #{who}",
        Scope.ADDRESS: f"client address {who}",
        Scope.SITE: "the whole site",
    }[scope]
    staff_alert_raise(
        kind=ALERT_KIND,
        message=(
            f"Re-Up PINs being guessed? {count} failed redemptions in {minutes} minutes "
            f"from {subject}."
        ),
        dedupe_key=ongoing or f"{prefix}{window_start}",
        data={"scope": str(scope), "who": who, "failures": count, "minutes": minutes},
    )
