"""Benchmark of the staff reports' queries over a million payments (a script, not a test).

    DATABASE_URL=postgres://user:pass@host:5432/db .venv/bin/python bench/reports.py \
        [--payments 1000000] [--repeat 5]

Creates a throwaway database beside DATABASE_URL's (dropped at the end),
migrates it and seeds it with set-based SQL: --payments payments over the
last two years (online, AutoRenew, trial conversions and fees; succeeded,
declined with their codes, refunded in whole or part; in USD, CAD and DKK),
an item and a period of service for each that paid for a plan, an AutoRenew
claim for each AutoRenew charge, free trials, Re-Up cards redeemed at two
chains with their periods, and the devices and subscriptions they belong to.

Then times each report as the page reads it (plugline.reports.selectors:
its queries and the table built from them) for the default range (the last
twelve weeks) and for the longest one the form allows (106 weeks: all of
the history), the median of --repeat runs, against a reference measured in
the same run on the same table: a plain GROUP BY week of the report's main
table over all of its rows (`SELECT date_trunc('week', <date>), count(*) ...
GROUP BY 1`), and a bare `SELECT count(*)` of it. Prints the times, the
report's ratio to each reference, and the indexes PostgreSQL's plans of the
report's queries use. Refuses SQLite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from throwaway import database_drop

ROOT = Path(__file__).resolve().parents[1]

# %(n)s payments, one every %(step)s seconds up to now; %(subs)s subscriptions.
SEED_SQL = [
    """
    CREATE TEMP TABLE seed AS
    SELECT i, gen_random_uuid() AS id,
           now() - make_interval(secs => (%(n)s - i) * %(step)s) AS created_at,
           (i %% %(subs)s) + 1 AS sub,
           CASE WHEN i %% 20 < 8 THEN 'checkout' WHEN i %% 20 < 17 THEN 'autorenew'
                WHEN i %% 20 = 17 THEN 'trial_conversion' ELSE 'minutes_top_up' END AS kind,
           CASE WHEN i %% 50 < 42 THEN 'succeeded' WHEN i %% 50 < 48 THEN 'declined'
                WHEN i %% 50 = 48 THEN 'partially_refunded' ELSE 'refunded' END AS status,
           CASE WHEN i %% 10 < 8 THEN 'USD' WHEN i %% 10 = 8 THEN 'CAD' ELSE 'DKK' END
               AS currency
    FROM generate_series(1, %(n)s) AS i
    """,
    """
    INSERT INTO devices_device (serial, model_id, status, public_key, label_code_hash,
        owner_id, nickname, e911_street_address, e911_street_address_2, e911_city,
        e911_country_area, e911_postal_code, e911_country, suspension_reason, created_at)
    SELECT 'BENCH' || lpad(s::text, 8, '0'), %(model)s,
           CASE WHEN s %% 10 < 8 THEN 'active' WHEN s %% 10 = 8 THEN 'released' ELSE 'retired'
           END,
           '', '', CASE WHEN s %% 10 < 8 THEN %(owner)s END, '', '', '', '', '', '', '', '', now()
    FROM generate_series(1, %(subs)s) AS s
    """,
    """
    INSERT INTO billing_subscription (device_id, plan_id, ends_at, autorenew, created_at,
        updated_at)
    SELECT d.id, %(plan)s, now() + make_interval(days => ((d.id %% 700) - 350)::int), d.id %% 2 = 0,
           now(), now()
    FROM devices_device d WHERE d.serial LIKE 'BENCH%%'
    """,
    """
    INSERT INTO billing_payment (id, user_id, kind, idempotency_key, amount, currency, status,
        card_brand, card_last4, gateway, gateway_charge_id, decline_code, created_at,
        settled_at, refunded_amount)
    SELECT id, %(owner)s, kind, 'bench-' || i,
           CASE currency WHEN 'DKK' THEN 39900 WHEN 'CAD' THEN 6499 ELSE 4999 END, currency,
           status, 'Visa', '4242', 'sandbox', '',
           CASE WHEN status = 'declined' THEN (ARRAY['insufficient_funds', 'card_declined',
               'expired_card'])[i %% 3 + 1] ELSE '' END,
           created_at, created_at,
           CASE status WHEN 'refunded' THEN
               CASE currency WHEN 'DKK' THEN 39900 WHEN 'CAD' THEN 6499 ELSE 4999 END
               WHEN 'partially_refunded' THEN 1000 ELSE 0 END
    FROM seed
    """,
    """
    INSERT INTO billing_paymentitem (payment_id, subscription_id, plan_id, amount)
    SELECT seed.id, sub.id, %(plan)s, p.amount
    FROM seed JOIN billing_payment p ON p.id = seed.id
    JOIN billing_subscription sub ON sub.device_id = (
        SELECT min(id) FROM devices_device WHERE serial LIKE 'BENCH%%') + seed.sub - 1
    WHERE seed.kind <> 'minutes_top_up' AND seed.status <> 'declined'
    ORDER BY seed.i
    """,
    """
    INSERT INTO billing_subscriptionperiod (subscription_id, plan_id, starts_at, ends_at,
        source, payment_item_id, created_at)
    SELECT pi.subscription_id, pi.plan_id, p.created_at + interval '3 days',
           p.created_at + interval '3 days' + interval '1 year', 'payment', pi.id, p.created_at
    FROM billing_paymentitem pi JOIN billing_payment p ON p.id = pi.payment_id
    WHERE p.idempotency_key LIKE 'bench-%%'
    """,
    """
    INSERT INTO billing_renewalattempt (subscription_id, period_end, attempts, status,
        claimed_by, payment_id, updated_at)
    SELECT sub.id, seed.created_at + interval '3 days', 1,
           CASE WHEN seed.status = 'declined' THEN 'failed' ELSE 'succeeded' END, '', seed.id,
           seed.created_at
    FROM seed JOIN billing_subscription sub ON sub.device_id = (
        SELECT min(id) FROM devices_device WHERE serial LIKE 'BENCH%%') + seed.sub - 1
    WHERE seed.kind = 'autorenew'
    """,
    # Free trials and Re-Up cards: one for every tenth payment each, over the same two years.
    """
    INSERT INTO billing_subscriptionperiod (subscription_id, plan_id, starts_at, ends_at,
        source, created_at)
    SELECT sub.id, NULL, seed.created_at, seed.created_at + interval '30 days', 'trial',
           seed.created_at
    FROM seed JOIN billing_subscription sub ON sub.device_id = (
        SELECT min(id) FROM devices_device WHERE serial LIKE 'BENCH%%') + seed.sub - 1
    WHERE seed.i %% 10 = 3
    """,
    """
    INSERT INTO billing_subscriptionperiod (subscription_id, plan_id, starts_at, ends_at,
        source, created_at)
    SELECT sub.id, %(plan)s, seed.created_at + interval '1 second',
           seed.created_at + interval '1 year', 'reup', seed.created_at + interval '1 second'
    FROM seed JOIN billing_subscription sub ON sub.device_id = (
        SELECT min(id) FROM devices_device WHERE serial LIKE 'BENCH%%') + seed.sub - 1
    WHERE seed.i %% 10 = 7
    """,
    """
    INSERT INTO reup_reupcard (batch_id, serial, status, activated_at, redeemed_at, period_id,
        updated_at)
    SELECT CASE WHEN per.id %% 2 = 0 THEN %(batch_a)s ELSE %(batch_b)s END,
           'RB' || lpad(per.id::text, 10, '0'), 'redeemed', per.created_at - interval '1 day',
           per.created_at, per.id, per.created_at
    FROM billing_subscriptionperiod per WHERE per.source = 'reup'
    """,
]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=1_000_000, help="payments to seed")
    parser.add_argument("--subscriptions", type=int, default=200_000, help="devices to seed")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each timing")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    return parser.parse_args()


def main() -> None:
    args = parse()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/reports.py needs DATABASE_URL naming a PostgreSQL database")
    name = f"plugline_bench_{uuid.uuid4().hex[:8]}"
    import psycopg

    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        {
            "DATABASE_URL": urlunsplit(urlsplit(url)._replace(path=f"/{name}")),
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
            "EMAIL_HOST": os.environ.get("EMAIL_HOST") or "localhost",
            "DJANGO_SETTINGS_MODULE": "plugline.settings",
            "VAR_DIR": os.environ.get("VAR_DIR") or tempfile.mkdtemp(prefix=name),
        }
    )
    try:
        run(args)
    finally:
        from django.db import connections

        try:
            connections.close_all()
        except Exception as error:  # Django never set up: nothing to close.
            print(f"closing: {error}", file=sys.stderr)
        if not args.keep:
            database_drop(admin, name)
        admin.close()


def run(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(args.payments, args.subscriptions)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM billing_payment")
        payments = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM billing_subscriptionperiod")
        periods = cursor.fetchone()[0]
    print(
        f"{payments} payments, {periods} periods of service, {args.subscriptions} devices; "
        f"seeded in {time.perf_counter() - started:.0f} s; median of {args.repeat} runs each"
    )
    print(
        f"{'report':<10} {'weeks':>5} {'report ms':>10} {'table (date)':<38} {'GROUP BY ms':>11} "
        f"{'count ms':>8} {'/GROUP BY':>9} {'/count':>7}  indexes used"
    )
    for slug, weeks, build, table, column in cases():
        report_ms, sql = timed(build, args.repeat)
        grouped_ms, _ = timed(partial(group_rows, table, column), args.repeat)
        counted_ms, _ = timed(partial(count_rows, table), args.repeat)
        print(
            f"{slug:<10} {weeks or 'now':>5} {report_ms:>10.1f} {f'{table} ({column})':<38} "
            f"{grouped_ms:>11.1f} {counted_ms:>8.1f} {report_ms / grouped_ms:>9.2f} "
            f"{report_ms / counted_ms:>7.2f}  {', '.join(indexes_used(sql)) or '-'}",
            flush=True,
        )


def seed(n: int, subscriptions: int) -> None:
    from django.db import connection, transaction

    from plugline.accounts.models import User
    from plugline.billing.models import Plan, PlanPrice
    from plugline.devices.services import device_model_default
    from plugline.reup.models import ReupBatch
    from plugline.stores.models import RetailChain

    with transaction.atomic():
        owner = User.objects.create_user("bench@example.com", None)
        plan = Plan.objects.create(code="1-year", name="1 year", months=12)
        for currency, amount in [("USD", 4999), ("CAD", 6499), ("DKK", 39900)]:
            PlanPrice.objects.create(plan=plan, currency=currency, amount=amount)
        batches = [
            ReupBatch.objects.create(
                chain=RetailChain.objects.create(code=code, name=name), plan=plan, count=n
            )
            for code, name in [("cornermart", "CornerMart"), ("kiosk24", "Kiosk 24")]
        ]
        params = {
            "n": n,
            "step": round(2 * 365 * 24 * 3600 / n, 3),
            "subs": subscriptions,
            "model": device_model_default().pk,
            "owner": owner.pk,
            "plan": plan.pk,
            "batch_a": batches[0].pk,
            "batch_b": batches[1].pk,
        }
        with connection.cursor() as cursor:
            for statement in SEED_SQL:
                cursor.execute(statement, params)


def cases() -> list[tuple[str, int | None, Callable[[], Any], str, str]]:
    from plugline.reports import selectors
    from plugline.reports.forms import MAX_SPAN_DAYS, default_range
    from plugline.reports.selectors import DateRange

    today = dt.datetime.now(tz=dt.UTC).date()
    ranges = [
        (12, DateRange(*default_range(today))),
        (MAX_SPAN_DAYS // 7, DateRange(today - dt.timedelta(days=MAX_SPAN_DAYS - 1), today)),
    ]
    dated: list[tuple[str, Callable[[DateRange], Any], str, str]] = [
        ("renewals", selectors.renewals_by_channel, "billing_subscriptionperiod", "created_at"),
        ("autorenew", selectors.autorenew_outcomes, "billing_renewalattempt", "period_end"),
        ("trials", selectors.trial_conversion, "billing_subscriptionperiod", "created_at"),
        ("churn", selectors.churn, "billing_subscriptionperiod", "ends_at"),
        ("revenue", selectors.revenue, "billing_payment", "created_at"),
        ("reup", selectors.reup_redemptions, "reup_reupcard", "redeemed_at"),
    ]
    found: list[tuple[str, int | None, Callable[[], Any], str, str]] = [
        (slug, weeks, partial(build, period), table, column)
        for slug, build, table, column in dated
        for weeks, period in ranges
    ]
    found.append(("devices", None, selectors.devices_by_status, "devices_device", "created_at"))
    return found


def group_rows(table: str, column: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT date_trunc('week', {column}), count(*) FROM {table} GROUP BY 1"  # noqa: S608
        )
        return len(cursor.fetchall())


def count_rows(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table names)
        return int(cursor.fetchone()[0])


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, list[str]]:
    """The median milliseconds of `work` (after one run to warm the caches), and its SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        work()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), [query["sql"] for query in queries.captured_queries]


def indexes_used(statements: list[str]) -> list[str]:
    """The indexes in PostgreSQL's plans of `statements`."""
    from django.db import connection

    used: list[str] = []
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for name in re.findall(r"Index (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)", plan):
                if name not in used:
                    used.append(name)
    return used


if __name__ == "__main__":
    main()
