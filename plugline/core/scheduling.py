"""Periodic jobs, run by `manage.py run_scheduler`.

Apps register their jobs in `AppConfig.ready()`. Any number of schedulers
may run (one per machine, say): each job runs once per time slot because a
scheduler must first insert the (job, slot) claim, which the database allows
only once. Jobs should be short; real work goes to background tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, transaction

from plugline.core.models import PeriodicJobClaim

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    func: Callable[[], object]

    def slot(self, now: datetime) -> int:
        return int(now.timestamp() // self.every.total_seconds())


_registry: dict[str, PeriodicJob] = {}


def register_periodic_job(name: str, *, every: timedelta, func: Callable[[], object]) -> None:
    if every < timedelta(seconds=1):
        raise ValueError("periodic jobs run at most once a second")
    _registry[name] = PeriodicJob(name=name, every=every, func=func)


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_registry.values(), key=lambda job: job.name)


def periodic_job_claim(*, job: PeriodicJob, now: datetime, scheduler_id: str) -> bool:
    """Claim `job` for the slot `now` falls in. False if another scheduler has it."""
    try:
        with transaction.atomic():
            PeriodicJobClaim.objects.create(
                job=job.name, slot=job.slot(now), claimed_by=scheduler_id[:200]
            )
    except IntegrityError:
        return False
    return True


def scheduler_tick(*, now: datetime, scheduler_id: str) -> list[str]:
    """Run every job whose current slot no scheduler has claimed yet."""
    ran = []
    for job in periodic_jobs():
        if not periodic_job_claim(job=job, now=now, scheduler_id=scheduler_id):
            continue
        try:
            job.func()
        except Exception:
            # The slot stays claimed; the next slot runs the job again.
            logger.exception("periodic job %s failed", job.name)
        ran.append(job.name)
    return ran


def sessions_clear_expired() -> None:
    """Delete expired sessions, as `manage.py clearsessions` does, whatever the session engine."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def periodic_claims_prune(*, older_than: timedelta = timedelta(days=2)) -> int:
    from django.utils import timezone

    deleted, _ = PeriodicJobClaim.objects.filter(
        claimed_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
