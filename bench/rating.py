"""Benchmark of rating: longest-prefix lookups over a 50,000-prefix deck, and a million call
records rated and charged (a script, not a test).

    .venv/bin/python bench/rating.py [--n 50000] [--lookups 20000] [--calls 1000000]
    DATABASE_URL=postgres://user:pass@host:5432/db .venv/bin/python bench/rating.py

Makes its own database (a SQLite file in a temporary directory by default;
with DATABASE_URL naming PostgreSQL, a throwaway database beside it; either
is removed at the end unless --keep), migrates it and imports a deck of N
prefixes through `rates_import` (what `manage.py import_rates` runs): every
country code but +1, each with longer prefixes under it (cities, mobile
ranges) down to 8 digits, a tenth of them with a second, later price. Then,
in the same run and alternating, it measures:

- a rating lookup: `rate_for_number(number)` (the longest matching prefix
  valid now, one query) for a random 11 to 13 digit number under a random
  prefix of the deck (so it may match a longer prefix than the one drawn);
- the reference: loading one random rate by primary key.

Each answer is checked against the longest prefix found in memory. Prints
the median and 99th percentile of each, their ratios and the lookups per
second.

Then the rating: --calls ended international call records (default a
million) of --accounts accounts' devices, to random numbers under the deck's
prefixes, started at random moments since 2024 (so some at a rate replaced
since), lasting 0 to 30 minutes, and in the same run:

- the reference: one SQL statement doing the same writes (a ledger entry per
  call, the rate of its longest prefix valid at its start, the cost rounded
  up to the increments), timed inside a transaction that is rolled back;
- the rating itself: `calls_rate` on the calls' ids, a batch of 1,000 at a
  time (the call record import's batch: what the job does after each import).

Every charge of the rating is checked against the reference's (the same
amount for each call). Prints call records rated per minute for both and their
ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from throwaway import database_drop

ROOT = Path(__file__).resolve().parents[1]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="prefixes in the deck")
    parser.add_argument("--lookups", type=int, default=20_000, help="lookups (and references)")
    parser.add_argument("--calls", type=int, default=1_000_000, help="call records to rate")
    parser.add_argument("--accounts", type=int, default=200, help="accounts making the calls")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    return parser.parse_args()


def main() -> None:
    args = parse()
    url = os.environ.get("DATABASE_URL", "")
    env = {
        "DEBUG": "0",  # Django keeps no query log.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
        "EMAIL_HOST": os.environ.get("EMAIL_HOST") or "localhost",
        "DJANGO_SETTINGS_MODULE": "plugline.settings",
    }
    admin = None
    name = f"plugline_bench_{uuid.uuid4().hex[:8]}"
    var_dir = tempfile.mkdtemp(prefix=f"{name}_")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        admin = psycopg.connect(url, autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    elif url:
        raise SystemExit("bench/rating.py: DATABASE_URL must name PostgreSQL (or be unset)")
    else:
        env["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    env["VAR_DIR"] = var_dir
    os.environ.update(env)
    try:
        run(args)
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
        if admin is not None:
            from django.db import connections

            connections.close_all()
            if not args.keep:
                database_drop(admin, name)
            admin.close()


def deck(n: int, rng: random.Random) -> list[str]:
    """N distinct prefixes: every country code but 1, then longer prefixes under random ones."""
    import phonenumbers

    codes = sorted(
        str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE if str(code) != "1"
    )
    prefixes = set(codes[:n])
    ordered = sorted(prefixes)
    while len(prefixes) < n:
        parent = rng.choice(ordered)
        if len(parent) >= 8:
            continue
        child = parent + str(rng.randrange(10))
        if child not in prefixes:
            prefixes.add(child)
            ordered.append(child)
    return sorted(prefixes)


def deck_csv(prefixes: list[str], rng: random.Random) -> str:
    rows = ["prefix,destination,price_per_minute,connection_fee,increments,valid_from"]
    increments = ["60/60", "30/6", "1/1"]
    for prefix in prefixes:
        price = rng.randint(1, 60)
        rows.append(f"{prefix},Destination {prefix},{price},0,{rng.choice(increments)},2020-01-01")
        if rng.random() < 0.1:  # A later price, also in force now: the lookup must take it.
            rows.append(f"{prefix},Destination {prefix},{price + 1},0,60/60,2024-06-01")
    return "\n".join(rows) + "\n"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def run(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from plugline.rates.importing import rates_import
    from plugline.rates.lookup import rate_for_number
    from plugline.rates.models import Rate

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)  # noqa: S311 (a made-up deck and numbers)
    prefixes = deck(args.n, rng)
    started = time.perf_counter()
    report = rates_import(data=deck_csv(prefixes, rng))
    if report.rejections:
        raise SystemExit(f"the deck does not import: {report.rejections[:5]}")
    print(
        f"{connection.vendor}: {len(prefixes)} prefixes ({report.counts['created']} rates) "
        f"imported in {time.perf_counter() - started:.1f} s; {args.lookups} lookups and "
        "references"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE rates_rate")
    known = set(prefixes)
    ids = list(Rate.objects.values_list("id", flat=True))
    numbers = []
    for prefix in rng.choices(prefixes, k=args.lookups):
        length = rng.randint(11, 13)
        numbers.append(
            prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix)))
        )

    def longest(number: str) -> str:
        return next(number[:i] for i in range(len(number), 0, -1) if number[:i] in known)

    lookups: list[float] = []
    references: list[float] = []
    for _ in range(50):  # Warm up: caches, the first connection.
        rate_for_number(numbers[0])
        Rate.objects.get(pk=ids[0])
    run_started = time.perf_counter()
    for number in numbers:
        began = time.perf_counter()
        rate = rate_for_number(number)
        lookups.append(time.perf_counter() - began)
        if rate is None or rate.prefix != longest(number):
            raise SystemExit(f"{number}: got {rate and rate.prefix}, expected {longest(number)}")
        pk = rng.choice(ids)
        began = time.perf_counter()
        Rate.objects.get(pk=pk)
        references.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - run_started

    median_lookup, p99_lookup = statistics.median(lookups), percentile(lookups, 0.99)
    median_ref, p99_ref = statistics.median(references), percentile(references, 0.99)
    print(f"{'':>28} {'median':>9} {'p99':>9} {'per second':>11}")
    print(
        f"{'longest-prefix rate':>28} {median_lookup * 1000:>7.3f}ms {p99_lookup * 1000:>7.3f}ms "
        f"{len(lookups) / sum(lookups):>11,.0f}"
    )
    print(
        f"{'rate by primary key':>28} {median_ref * 1000:>7.3f}ms {p99_ref * 1000:>7.3f}ms "
        f"{len(references) / sum(references):>11,.0f}"
    )
    print(f"{'ratio':>28} {median_lookup / median_ref:>9.2f} {p99_lookup / p99_ref:>9.2f}")
    print(f"all {len(numbers)} answers were the longest prefix ({elapsed:.1f} s in all)")
    rating_bench(args, rng, prefixes)


# The rating's writes as one statement: for each ended international call not rated yet, the
# rate of its longest prefix valid at its start (a subquery per call, the fifteen prefixes a
# number may have spelled out: the same SQL on SQLite and PostgreSQL, each rate found once per
# call: MATERIALIZED) and its cost, in call_cost's arithmetic.
REFERENCE_SQL = """
WITH rated AS MATERIALIZED (
    SELECT c.id AS call_id, d.owner_id, c.duration_seconds,
           (SELECT r2.id FROM rates_rate r2
             WHERE r2.prefix IN (
                   substr(c.callee, 2, 1), substr(c.callee, 2, 2), substr(c.callee, 2, 3),
                   substr(c.callee, 2, 4), substr(c.callee, 2, 5), substr(c.callee, 2, 6),
                   substr(c.callee, 2, 7), substr(c.callee, 2, 8), substr(c.callee, 2, 9),
                   substr(c.callee, 2, 10), substr(c.callee, 2, 11), substr(c.callee, 2, 12),
                   substr(c.callee, 2, 13), substr(c.callee, 2, 14), substr(c.callee, 2, 15))
               AND r2.valid_from <= c.started_at
             ORDER BY length(r2.prefix) DESC, r2.valid_from DESC LIMIT 1) AS rate_id
      FROM telephony_callrecord c
      JOIN devices_device d ON d.id = c.caller_device_id
     WHERE c.outcome = 'answered' AND c.ended_at IS NOT NULL
       AND c.callee_device_id IS NULL AND d.owner_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM minutes_minutesentry e WHERE e.call_record_id = c.id)
), priced AS MATERIALIZED (
    SELECT rated.call_id, rated.owner_id, rated.duration_seconds, r.connection_fee,
           r.price_per_minute, r.currency,
           CASE WHEN rated.duration_seconds <= r.first_increment THEN r.first_increment
                ELSE r.first_increment + ((rated.duration_seconds - r.first_increment
                     + r.next_increment - 1) / r.next_increment) * r.next_increment
           END AS billed
      FROM rated JOIN rates_rate r ON r.id = rated.rate_id
)
INSERT INTO minutes_minutesentry (user_id, kind, amount, currency, created_at, call_record_id,
                                  reason)
SELECT owner_id, 'call_charge',
       CASE WHEN duration_seconds <= 0 THEN 0
            ELSE -(connection_fee + (price_per_minute * billed + 59) / 60) END,
       currency, %s, call_id, ''
  FROM priced
 WHERE true
ON CONFLICT DO NOTHING
"""


def rating_bench(args: argparse.Namespace, rng: random.Random, prefixes: list[str]) -> None:
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Sum

    from plugline.devices.services import device_assign
    from plugline.minutes.models import MinutesEntry
    from plugline.minutes.rating import RATING_BATCH, calls_rate
    from plugline.telephony.models import CallOutcome, CallRecord

    started = time.perf_counter()
    devices = []
    for i in range(args.accounts):
        user = get_user_model().objects.create_user(f"bench{i}@example.com", None)
        devices.append(
            device_assign(
                serial=f"PLBENCH{i:07d}", owner=user, phone_number=f"+1212555{i % 10000:04d}"
            ).pk
        )
    since = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    span = int((dt.datetime.now(tz=dt.UTC) - since).total_seconds()) - 86_400
    chunk = 20_000
    for first in range(0, args.calls, chunk):
        records = []
        for n in range(first, min(first + chunk, args.calls)):
            prefix = rng.choice(prefixes)
            number = prefix + "".join(
                str(rng.randrange(10)) for _ in range(rng.randint(11, 13) - len(prefix))
            )
            at = since + dt.timedelta(seconds=rng.randrange(span))
            seconds = rng.choice((0, rng.randrange(1, 1801)))
            records.append(
                CallRecord(
                    call_id=f"bench-{n}",
                    caller="+12125550000",
                    callee=f"+{number}",
                    caller_device_id=rng.choice(devices),
                    started_at=at,
                    answered_at=at,
                    ended_at=at + dt.timedelta(seconds=seconds),
                    duration_seconds=seconds,
                    outcome=CallOutcome.ANSWERED,
                    sip_code="200",
                )
            )
        CallRecord.objects.bulk_create(records, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    ids = list(CallRecord.objects.order_by("pk").values_list("pk", flat=True))
    print(
        f"{len(ids):,} call records of {args.accounts} accounts made in "
        f"{time.perf_counter() - started:.0f} s"
    )

    with transaction.atomic():
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(REFERENCE_SQL, [dt.datetime.now(tz=dt.UTC)])
        reference_seconds = time.perf_counter() - began
        expected = dict(MinutesEntry.objects.values_list("call_record_id", "amount"))
        transaction.set_rollback(True)
    if len(expected) != len(ids):
        raise SystemExit(f"the reference charged {len(expected)} calls of {len(ids)}")

    began = time.perf_counter()
    charged = sum(
        calls_rate(ids[start : start + RATING_BATCH]) for start in range(0, len(ids), RATING_BATCH)
    )
    rating_seconds = time.perf_counter() - began
    got = dict(MinutesEntry.objects.values_list("call_record_id", "amount"))
    if charged != len(ids) or got != expected:
        wrong = [pk for pk in ids if got.get(pk) != expected.get(pk)][:5]
        raise SystemExit(f"rating differs from the reference, e.g. calls {wrong}")
    total = -(MinutesEntry.objects.aggregate(total=Sum("amount"))["total"] or 0)

    per_minute_rating = len(ids) / rating_seconds * 60
    per_minute_reference = len(ids) / reference_seconds * 60
    print(f"{'':>28} {'seconds':>9} {'calls a minute':>15}")
    print(f"{'rating (calls_rate)':>28} {rating_seconds:>9.1f} {per_minute_rating:>15,.0f}")
    print(f"{'one SQL statement':>28} {reference_seconds:>9.1f} {per_minute_reference:>15,.0f}")
    print(f"{'ratio':>28} {rating_seconds / reference_seconds:>9.2f}")
    print(
        f"every one of the {charged:,} charges equals the reference's "
        f"({total:,} minor units in all)"
    )


if __name__ == "__main__":
    main()
