"""Benchmark of "nearest 10 stores" among 100,000 (a script, not a test).

    .venv/bin/python bench/stores.py [--n 100000] [--searches 2000]
    DATABASE_URL=postgres://user:pass@host:5432/db .venv/bin/python bench/stores.py

Makes its own database (a SQLite file in a temporary directory by default;
with DATABASE_URL naming PostgreSQL, a throwaway database beside it;
either is removed at the end unless --keep), migrates it and creates N active stores around the
towns of the bundled city list (plugline/stores/data/cities.tsv.gz), more
of them where more people live. Then, in the same run and alternating,
it measures:

- a search: `stores_near(lat, lon, limit=10)` (what "Find a store" calls)
  from a random point in a populated area (a town picked by population,
  up to 10 km from its centre), the stores loaded with their chains;
- the reference: loading one random store with its chain by primary key.

Prints the median and 99th percentile of each, their ratios, and how many
radii a search tried on average.
"""

from __future__ import annotations

import argparse
import gzip
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
CITIES = ROOT / "plugline" / "stores" / "data" / "cities.tsv.gz"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="stores")
    parser.add_argument("--searches", type=int, default=2000, help="searches (and lookups)")
    parser.add_argument("--seed", type=int, default=6)
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
        raise SystemExit("bench/stores.py: DATABASE_URL must name PostgreSQL (or be unset)")
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


def towns() -> list[tuple[float, float, int]]:
    """(latitude, longitude, population) of every town in the bundled list."""
    found = []
    with gzip.open(CITIES, "rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                fields = line.rstrip("\n").split("\t")
                found.append((float(fields[5]), float(fields[6]), int(fields[7])))
    return found


def near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point about `km` (at most 3 times that) from (lat, lon), normally distributed."""
    north = max(-3 * km, min(3 * km, rng.gauss(0, km)))
    east = max(-3 * km, min(3 * km, rng.gauss(0, km)))
    lat2 = max(-89.9, min(89.9, lat + north / 111.2))
    lon2 = lon + east / (111.2 * math.cos(math.radians(lat)))
    return lat2, (lon2 + 180) % 360 - 180


def seed(n: int, rng: random.Random, places: list[tuple[float, float, int]]) -> None:
    from django.db import transaction

    from plugline.stores.models import RetailChain, Store, postal_code_key

    weights = [population for _, _, population in places]
    with transaction.atomic():
        chains = [
            RetailChain.objects.create(code=f"bench{i}", name=f"Bench chain {i}") for i in range(5)
        ]
        batch = []
        for i, (lat, lon, population) in enumerate(rng.choices(places, weights, k=n)):
            # Bigger towns spread wider: 1 km for 5,000 people, about 20 km for 2 million.
            spread = max(1.0, math.sqrt(population / 5000))
            latitude, longitude = near(rng, lat, lon, spread)
            postal_code = f"{rng.randint(0, 99999):05d}"
            batch.append(
                Store(
                    chain=chains[i % len(chains)],
                    external_id=str(i),
                    name=f"Store {i}",
                    address_line1=f"{i} Main Street",
                    city="Bench",
                    postal_code=postal_code,
                    postal_code_key=postal_code_key(postal_code),
                    country="US",
                    latitude=latitude,
                    longitude=longitude,
                    sells_devices=rng.random() < 0.5,
                    sells_reup_cards=rng.random() < 0.8,
                )
            )
            if len(batch) == 5000:
                Store.objects.bulk_create(batch)
                batch = []
        Store.objects.bulk_create(batch)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def run(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from plugline.stores.models import Store
    from plugline.stores.search import stores_near

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)  # noqa: S311 (made-up stores and points)
    places = towns()
    started = time.perf_counter()
    seed(args.n, rng, places)
    print(
        f"{connection.vendor}: {args.n} stores around {len(places)} towns "
        f"made in {time.perf_counter() - started:.1f} s; {args.searches} searches and lookups"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE stores_store")
    ids = list(Store.objects.values_list("id", flat=True))
    weights = [population for _, _, population in places]
    points = [
        near(rng, lat, lon, 5.0) for lat, lon, _ in rng.choices(places, weights, k=args.searches)
    ]

    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    searches: list[float] = []
    lookups: list[float] = []
    with connection.execute_wrapper(count):
        for _ in range(50):  # Warm up: caches, the first connection.
            stores_near(*points[0], limit=10)
            Store.objects.select_related("chain").get(pk=ids[0])
        queries = 0
        for lat, lon in points:
            began = time.perf_counter()
            hits = stores_near(lat, lon, limit=10)
            searches.append(time.perf_counter() - began)
            if len(hits) != 10:
                raise SystemExit(f"the search at {lat}, {lon} found {len(hits)} stores")
            pk = rng.choice(ids)
            began = time.perf_counter()
            Store.objects.select_related("chain").get(pk=pk)
            lookups.append(time.perf_counter() - began)
    search_queries = (queries - len(points)) / len(points) - 1  # Less lookups and the loads.

    median_search, p99_search = statistics.median(searches), percentile(searches, 0.99)
    median_lookup, p99_lookup = statistics.median(lookups), percentile(lookups, 0.99)
    print(f"{'':>28} {'median':>9} {'p99':>9}")
    print(f"{'nearest 10 stores':>28} {median_search * 1000:>7.2f}ms {p99_search * 1000:>7.2f}ms")
    print(
        f"{'store by primary key':>28} {median_lookup * 1000:>7.2f}ms {p99_lookup * 1000:>7.2f}ms"
    )
    print(f"{'ratio':>28} {median_search / median_lookup:>9.1f} {p99_search / p99_lookup:>9.1f}")
    print(f"radii tried per search: {search_queries:.2f} on average")


if __name__ == "__main__":
    main()
