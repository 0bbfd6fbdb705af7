"""Periodic jobs run once per time slot, however many schedulers are running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import Subscriber
from plugline.core import scheduling
from plugline.core.models import PeriodicJobClaim
from plugline.core.scheduling import (
    PeriodicJob,
    periodic_claims_prune,
    periodic_jobs,
    register_periodic_job,
    scheduler_tick,
)
from plugline.core.tests.commands import run_command
from plugline.notifications.models import OutboxMessage
from plugline.notifications.services import email_send
from plugline.notifications.tests.worker import queued_deliveries

ROOT = Path(__file__).resolve().parents[3]
JOBS = ["core.clear_expired_sessions", "core.prune_periodic_claims", "notifications.outbox_sweep"]
NOON = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def core_jobs_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the core's own jobs: other apps' jobs, and their cadences, are theirs to test."""
    monkeypatch.setattr(
        scheduling, "_registry", {name: scheduling._registry[name] for name in JOBS}
    )


def overdue_emails(subscriber: Subscriber, count: int) -> list[OutboxMessage]:
    """Pending messages whose delivery tasks were lost ten minutes ago."""
    messages = [
        email_send(
            template="account/email/password_reset_key",
            to=subscriber.email,
            context={
                "user": subscriber.user,
                "password_reset_url": "https://x.example/r/",
                "reset_link_hours": 1,
            },
            language="en",
            user=subscriber.user,
        )
        for _ in range(count)
    ]
    DBTaskResult.objects.all().delete()
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    return messages


@pytest.mark.usefixtures("core_jobs_only")
def test_it_runs_each_job_once_per_slot(alice: Subscriber):
    [message] = overdue_emails(alice, 1)

    assert scheduler_tick(now=NOON, scheduler_id="a") == JOBS
    assert queued_deliveries() == [message.pk]
    assert scheduler_tick(now=NOON + timedelta(seconds=29), scheduler_id="b") == []

    # The next minute is a new slot for the sweep; the prune runs hourly.
    assert scheduler_tick(now=NOON + timedelta(seconds=30), scheduler_id="b") == [
        "notifications.outbox_sweep"
    ]
    assert scheduler_tick(now=NOON + timedelta(hours=1), scheduler_id="a") == JOBS
    claims = PeriodicJobClaim.objects.values_list("job", "claimed_by").order_by("id")
    assert list(claims) == [
        ("core.clear_expired_sessions", "a"),
        ("core.prune_periodic_claims", "a"),
        ("notifications.outbox_sweep", "a"),
        ("notifications.outbox_sweep", "b"),
        ("core.clear_expired_sessions", "a"),
        ("core.prune_periodic_claims", "a"),
        ("notifications.outbox_sweep", "a"),
    ]


@pytest.mark.usefixtures("core_jobs_only")
def test_a_failing_job_does_not_stop_the_others(db, monkeypatch):
    calls = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("mail server on fire")

    monkeypatch.setitem(
        scheduling._registry, "a.broken", PeriodicJob("a.broken", timedelta(minutes=1), broken)
    )
    assert scheduler_tick(now=NOON, scheduler_id="a") == ["a.broken", *JOBS]
    assert scheduler_tick(now=NOON, scheduler_id="a") == []
    assert scheduler_tick(now=NOON + timedelta(minutes=1), scheduler_id="a") == [
        "a.broken",
        "notifications.outbox_sweep",
    ]
    assert calls == ["broken", "broken"]


def test_it_refuses_jobs_more_frequent_than_once_a_second():
    with pytest.raises(ValueError, match="at most once a second"):
        register_periodic_job("a.busy", every=timedelta(milliseconds=500), func=print)
    assert "a.busy" not in [job.name for job in periodic_jobs()]


@pytest.mark.usefixtures("core_jobs_only")
def test_it_prunes_claims_older_than_two_days(db):
    with time_machine.travel(NOON, tick=False) as traveller:
        scheduler_tick(now=NOON, scheduler_id="a")
        traveller.shift(timedelta(days=1))
        scheduler_tick(now=timezone.now(), scheduler_id="a")
        traveller.shift(timedelta(days=1, seconds=1))
        assert periodic_claims_prune() == len(JOBS)
    assert PeriodicJobClaim.objects.count() == len(JOBS)


@pytest.mark.usefixtures("core_jobs_only")
def test_it_deletes_expired_sessions_hourly(alice: Subscriber, client: Client):
    with time_machine.travel(NOON - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        expired = SessionStore()
        expired["visited"] = True
        expired.create()
    client.force_login(alice.user)

    assert "core.clear_expired_sessions" in scheduler_tick(now=NOON, scheduler_id="a")

    assert not Session.objects.filter(session_key=expired.session_key).exists()
    assert Session.objects.count() == 1
    assert client.get("/account/").status_code == 200  # still signed in
    assert {job.name: job.every for job in periodic_jobs()}["core.clear_expired_sessions"] == (
        timedelta(hours=1)
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("core_jobs_only")
def test_the_command_runs_one_tick_with_once(alice: Subscriber):
    [message] = overdue_emails(alice, 1)
    run_command("run_scheduler", "--once")
    assert sorted(PeriodicJobClaim.objects.values_list("job", flat=True)) == JOBS
    assert queued_deliveries() == [message.pk]


def subprocess_database_url() -> str:
    """DATABASE_URL of the database this test runs against (SQLite file or PostgreSQL)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    assert connection.vendor == "postgresql", connection.vendor
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{quote(db['NAME'])}"


# One scheduler: set up Django, say "ready", wait for "go", run one tick at
# the given time, print the jobs it ran.
SCHEDULER = """
import json, sys
from datetime import datetime
import django
django.setup()
from plugline.core.scheduling import scheduler_tick
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps(scheduler_tick(now=datetime.fromisoformat(sys.argv[1]), scheduler_id=sys.argv[2])))
"""


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_run_each_job_once_per_slot(alice: Subscriber):
    messages = overdue_emails(alice, 3)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "plugline.settings",
        "DEBUG": "1",
        "DATABASE_URL": subprocess_database_url(),
    }
    now = timezone.now()
    names = ["scheduler-1", "scheduler-2"]
    schedulers = [
        subprocess.Popen(
            [sys.executable, "-c", SCHEDULER, now.isoformat(), name],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    try:
        for scheduler in schedulers:
            assert scheduler.stdout is not None
            ready = scheduler.stdout.readline()
            assert ready == "ready\n", ready + scheduler.communicate()[1]
        for scheduler in schedulers:  # both are set up: let them race
            assert scheduler.stdin is not None
            scheduler.stdin.write("go\n")
            scheduler.stdin.flush()
        results = [scheduler.communicate(timeout=120) for scheduler in schedulers]
    finally:
        for scheduler in schedulers:
            if scheduler.poll() is None:
                scheduler.kill()
                scheduler.wait()

    for scheduler, (_, stderr) in zip(schedulers, results, strict=True):
        assert scheduler.returncode == 0, stderr
    ran = {
        name: json.loads(stdout.splitlines()[-1])
        for name, (stdout, _) in zip(names, results, strict=True)
    }
    # Every app's jobs (the schedulers load them all), each run once.
    by_job = {job.name: job for job in periodic_jobs()}
    assert set(JOBS) <= set(by_job)
    assert sorted(ran["scheduler-1"] + ran["scheduler-2"]) == sorted(by_job)
    claims = PeriodicJobClaim.objects.values_list("job", "slot", "claimed_by")
    assert sorted((job, slot) for job, slot, _ in claims) == [
        (name, by_job[name].slot(now)) for name in sorted(by_job)
    ]
    for job, _, claimed_by in claims:
        assert job in ran[claimed_by]
    assert queued_deliveries() == [message.pk for message in messages]
