"""Benchmark of AutoRenew's renewal run on PostgreSQL (a script, not a test).

    DATABASE_URL=postgres://user:pass@host:5432/db REDIS_URL=redis://host:6379/0 \\
        .venv/bin/python bench/renewals.py [--n 2000]

Creates a throwaway database beside DATABASE_URL's (dropped at the end),
migrates it, and for each gateway latency (0 ms and 200 ms by default, the
sandbox gateway's `latency_ms`, webhooks off) makes N subscribers whose
AutoRenew subscriptions are due, then measures:

- the reference: one SQL statement doing the same claim and writes (a claim
  row per subscription, a payment with its invoice number, its item, the
  period, the subscription's new end), timed inside a transaction that is
  rolled back; it calls no gateway and sends no email;
- the renewal run itself: `manage.py run_renewals` in --processes processes
  of --threads threads each (each thread its own connection), as several
  machines would run it, until every subscription is renewed.

Prints renewals per second for both and their ratio, the CPU time the run's processes
used per renewal (PostgreSQL's not counted) and the load average after. Refuses SQLite.
With REDIS_URL (as in production) the accounts' pages cache, whose generations the run
changes for each account it renews, is Redis; without it, files under VAR_DIR (make run's),
which cost the run far more CPU.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from throwaway import database_drop

ROOT = Path(__file__).resolve().parents[1]

REFERENCE_SQL = """
WITH due AS (
    SELECT s.id AS subscription_id, s.ends_at, s.autorenew_plan_id AS plan_id,
           p.months, d.owner_id, pp.amount, pm.id AS card_id, pm.brand, pm.last4,
           gen_random_uuid() AS payment_id
    FROM billing_subscription s
    JOIN devices_device d ON d.id = s.device_id
    JOIN billing_plan p ON p.id = s.autorenew_plan_id
    JOIN billing_planprice pp ON pp.plan_id = p.id AND pp.currency = %(currency)s
    JOIN billing_paymentmethod pm
        ON pm.user_id = d.owner_id AND pm.is_default AND pm.removed_at IS NULL
    WHERE s.autorenew AND s.ends_at <= %(horizon)s AND s.ends_at > %(grace)s
      AND NOT EXISTS (
          SELECT 1 FROM billing_renewalattempt a
          WHERE a.subscription_id = s.id AND a.period_end = s.ends_at)
    FOR UPDATE OF s SKIP LOCKED
), last_invoice AS (
    SELECT coalesce(max(invoice_number), 0) AS n FROM billing_payment
), payments AS (
    INSERT INTO billing_payment (id, user_id, kind, idempotency_key, amount, currency, status,
        payment_method_id, card_brand, card_last4, gateway, gateway_charge_id, decline_code,
        invoice_number, created_at, settled_at, refunded_amount)
    SELECT due.payment_id, due.owner_id, 'autorenew', 'sqlref-' || due.payment_id, due.amount,
        %(currency)s, 'succeeded', due.card_id, due.brand, due.last4, 'sandbox', '', '',
        last_invoice.n + row_number() OVER (), now(), now(), 0
    FROM due, last_invoice
    RETURNING id
), claims AS (
    INSERT INTO billing_renewalattempt (subscription_id, period_end, attempts, status, claimed_by,
        claimed_until, next_try_at, payment_id, updated_at)
    SELECT subscription_id, ends_at, 1, 'succeeded', 'sql', NULL, NULL, payment_id, now()
    FROM due
    RETURNING id
), items AS (
    INSERT INTO billing_paymentitem (payment_id, subscription_id, plan_id, amount)
    SELECT payment_id, subscription_id, plan_id, amount FROM due
    RETURNING id, payment_id
), periods AS (
    INSERT INTO billing_subscriptionperiod (subscription_id, plan_id, starts_at, ends_at, source,
        payment_item_id, created_at)
    SELECT due.subscription_id, due.plan_id, greatest(due.ends_at, now()),
        greatest(due.ends_at, now()) + make_interval(months => due.months), 'payment', items.id,
        now()
    FROM due JOIN items ON items.payment_id = due.payment_id
    RETURNING subscription_id, ends_at
), extended AS (
    UPDATE billing_subscription s SET ends_at = periods.ends_at, plan_id = s.autorenew_plan_id,
        updated_at = now()
    FROM periods WHERE s.id = periods.subscription_id
    RETURNING s.id
)
SELECT (SELECT count(*) FROM extended), (SELECT count(*) FROM claims),
       (SELECT count(*) FROM payments)
"""


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="due subscriptions per latency")
    parser.add_argument(
        "--latency", type=int, nargs="+", default=[0, 200], help="gateway latencies in ms"
    )
    parser.add_argument("--processes", type=int, default=2, help="renewal run processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per process")
    parser.add_argument("--batch", type=int, default=200, help="claims taken at a time")
    parser.add_argument(
        "--charges-at-once", type=int, default=200, help="charges sent to the gateway together"
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    return parser.parse_args()


def main() -> None:
    args = parse()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/renewals.py needs DATABASE_URL naming a PostgreSQL database")
    parts = urlsplit(url)
    name = f"plugline_bench_{uuid.uuid4().hex[:8]}"
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    import psycopg

    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DEBUG": "0",
        # Emails are written to the outbox; nothing delivers them during the bench.
        "EMAIL_HOST": os.environ.get("EMAIL_HOST") or "localhost",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
        "DJANGO_SETTINGS_MODULE": "plugline.settings",
        "VAR_DIR": os.environ.get("VAR_DIR") or tempfile.mkdtemp(prefix=name),
    }
    os.environ.update(env)
    try:
        run(args, env)
    finally:
        from django.db import connections

        try:
            connections.close_all()
        except Exception as error:  # Django never set up: nothing to close.
            print(f"closing: {error}", file=sys.stderr)
        if not args.keep:
            database_drop(admin, name)
        admin.close()


def run(args: argparse.Namespace, env: dict[str, str]) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    print(
        f"{args.n} due subscriptions per latency; renewal run: {args.processes} processes x "
        f"{args.threads} threads, claims of {args.batch}, charges sent {args.charges_at_once} "
        f"at once; accounts' pages cache: {settings.CACHES['pages']['BACKEND'].rsplit('.', 1)[-1]}"
        + ("" if os.environ.get("REDIS_URL") else " (no REDIS_URL: files, as in make run)")
    )
    print(
        f"{'latency':>8} {'reference/s':>12} {'run/s':>9} {'run/reference':>14} {'renewed':>8} "
        f"{'run CPU ms each':>16} {'load':>5}"
    )
    for index, latency in enumerate(args.latency):
        seed(args.n, round_number=index)
        analyze()
        reference = reference_rate(args.n)
        rate, renewed, cpu = run_rate(args, env, latency)
        print(
            f"{latency:>6}ms {reference:>12.0f} {rate:>9.1f} {rate / reference:>14.4f} "
            f"{renewed:>8} {cpu * 1000 / max(renewed, 1):>16.2f} {os.getloadavg()[0]:>5.1f}",
            flush=True,
        )


def seed(n: int, *, round_number: int) -> None:
    """N subscribers, each with a device due in two days, AutoRenew on and a Visa on file."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from plugline.accounts.models import User
    from plugline.billing.models import (
        CustomerAccount,
        PaymentMethod,
        Plan,
        PlanPrice,
        Subscription,
    )
    from plugline.devices.models import Device, DeviceModel, DeviceStatus
    from plugline.sandbox_gateway.models import SandboxCard, SandboxCustomer

    now = timezone.now()
    password = make_password(None)
    with transaction.atomic():
        plan, _ = Plan.objects.get_or_create(
            code="year", defaults={"name": "1 year", "months": 12, "autorenew_allowed": True}
        )
        PlanPrice.objects.get_or_create(plan=plan, currency="USD", defaults={"amount": 4999})
        model, _ = DeviceModel.objects.get_or_create(code="bench", defaults={"name": "Bench"})
        tag = f"r{round_number}"
        users = User.objects.bulk_create(
            User(
                email=f"{tag}-{i}@bench.example",
                original_email=f"{tag}-{i}@bench.example",
                password=password,
            )
            for i in range(n)
        )
        devices = Device.objects.bulk_create(
            Device(serial=f"BENCH{tag}{i:07d}", model=model, status=DeviceStatus.ACTIVE, owner=u)
            for i, u in enumerate(users)
        )
        customers = SandboxCustomer.objects.bulk_create(
            SandboxCustomer(id=f"cus_{tag}_{i}", email=u.email, idempotency_key=f"{tag}-{i}")
            for i, u in enumerate(users)
        )
        CustomerAccount.objects.bulk_create(
            CustomerAccount(user=u, gateway="sandbox", gateway_customer_id=c.id)
            for u, c in zip(users, customers, strict=True)
        )
        SandboxCard.objects.bulk_create(
            SandboxCard(
                token=f"tok_{tag}_{i}",
                customer=c,
                brand="Visa",
                last4="4242",
                exp_month=12,
                exp_year=now.year + 5,
                fingerprint=f"fp_{tag}_{i}",
                behaviour="succeed",
            )
            for i, c in enumerate(customers)
        )
        PaymentMethod.objects.bulk_create(
            PaymentMethod(
                user=u,
                gateway="sandbox",
                token=f"tok_{tag}_{i}",
                brand="Visa",
                last4="4242",
                exp_month=12,
                exp_year=now.year + 5,
                is_default=True,
            )
            for i, u in enumerate(users)
        )
        Subscription.objects.bulk_create(
            Subscription(
                device=d,
                ends_at=now + timedelta(days=2),
                autorenew=True,
                autorenew_plan=plan,
                plan=plan,
            )
            for d in devices
        )


def analyze() -> None:
    """Statistics of the freshly seeded tables, as autovacuum would gather them in time:
    without them PostgreSQL plans the reference's joins (and the run's claims) over
    100,000 rows as if the tables were empty, and takes minutes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def reference_rate(n: int) -> float:
    """Renewals per second of one SQL statement doing the claim and writes (rolled back)."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    params: dict[str, Any] = {
        "currency": settings.BILLING_CURRENCY,
        "horizon": now + timedelta(days=settings.AUTORENEW_DAYS_BEFORE),
        "grace": now - timedelta(days=settings.BILLING_GRACE_DAYS),
    }
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(REFERENCE_SQL, params)
            extended, claims, payments = cursor.fetchone()
        seconds = time.perf_counter() - started
        if not extended == claims == payments == n:
            raise SystemExit(f"the reference renewed {extended}, not {n}")
        transaction.set_rollback(True)
    return n / seconds


def run_rate(
    args: argparse.Namespace, env: dict[str, str], latency: int
) -> tuple[float, int, float]:
    """Renewals a second of the run, how many, and the CPU seconds its processes used
    (PostgreSQL's own not counted)."""
    import resource

    from plugline.billing.models import RenewalAttempt
    from plugline.sandbox_gateway import services as psp

    psp.config_set(latency_ms=latency, webhooks_enabled=False, timeout_rate=0, failure_rate=0)
    before = RenewalAttempt.objects.filter(status="succeeded").count()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    workers = [
        subprocess.Popen(  # noqa: S603 (this interpreter, our own command)
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "run_renewals",
                "--threads",
                str(args.threads),
                "--batch",
                str(args.batch),
                "--charges-at-once",
                str(args.charges_at_once),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(args.processes)
    ]
    for worker in workers:
        if worker.wait() != 0:
            raise SystemExit("a renewal run failed")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    renewed = RenewalAttempt.objects.filter(status="succeeded").count() - before
    return renewed / seconds, renewed, cpu


if __name__ == "__main__":
    main()
