"""The backup and restore drill of README "Production", on PostgreSQL.

Subscribers renew (and one is partly refunded), the database is dumped with
`pg_dump -Fc` and restored with `pg_restore` into a fresh database, as an
operator would: what each account paid, each subscription's end and the
invoice numbers are the same there, and the next payment taken on the
restored database gets the next invoice number, with no gap.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from conftest import make_subscriber
from plugline.billing.models import Payment, Subscription
from plugline.billing.payments import payment_refund
from plugline.billing.renewals import renewal_run
from plugline.billing.tests.factories import plan_make, sandbox_reset
from plugline.billing.tests.test_pay_race_postgres import visa_on_file
from plugline.core.tests.racing import needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]

# What an operator compares after a restore, in SQL so that it reads either database.
BALANCES = """
    SELECT u.email, SUM(p.amount - p.refunded_amount)
    FROM billing_payment p JOIN accounts_user u ON u.id = p.user_id
    WHERE p.invoice_number IS NOT NULL GROUP BY u.email ORDER BY u.email
"""
END_DATES = """
    SELECT d.serial, s.ends_at, s.autorenew
    FROM billing_subscription s JOIN devices_device d ON d.id = s.device_id ORDER BY d.serial
"""
INVOICE_NUMBERS = (
    "SELECT invoice_number FROM billing_payment WHERE invoice_number IS NOT NULL ORDER BY 1"
)

# Run on the restored database: the renewal run ten days from now, when the
# third subscriber's subscription is due (AutoRenew charges 3 days before its end).
NEXT_RENEWAL = """
from datetime import timedelta
from django.utils import timezone
from plugline.billing.renewals import renewal_run
print(dict(renewal_run(now=timezone.now() + timedelta(days=10)).outcomes))
"""


def postgres_env() -> dict[str, str]:
    """libpq's variables for the test database's server and role."""
    db = connection.settings_dict
    return {
        "PATH": os.environ.get("PATH", ""),
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"],
        "PGPASSWORD": db["PASSWORD"],
    }


def database_url(name: str) -> str:
    env = postgres_env()
    return f"postgres://{env['PGUSER']}:{env['PGPASSWORD']}@{env['PGHOST']}:{env['PGPORT']}/{name}"


def run(*command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{command[0]}: {result.stdout}{result.stderr}"
    return result


def snapshot(database: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(database_url(database)) as conn, conn.cursor() as cursor:
        facts = {}
        for name, query in (
            ("balances", BALANCES),
            ("end_dates", END_DATES),
            ("invoices", INVOICE_NUMBERS),
        ):
            cursor.execute(query)
            facts[name] = cursor.fetchall()
        return facts


@pytest.fixture
def restored_name() -> Iterator[str]:
    """A fresh database's name; dropped after the test."""
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    env = postgres_env()
    subprocess.run(["dropdb", "--if-exists", "--force", name], env=env, check=True)
    yield name
    subprocess.run(["dropdb", "--if-exists", "--force", name], env=env, check=True)


def seed_renewed_accounts() -> int:
    """Three subscribers: two renewed by AutoRenew (one partly refunded), one due later."""
    sandbox_reset()
    plan = plan_make()
    staff = make_subscriber("staff@example.com", numbers=()).user
    for index, days_left in enumerate((2, 2, 12)):
        subscriber = make_subscriber(f"drill{index}@example.com", numbers=(f"+1212555{index:04d}",))
        visa_on_file(subscriber)
        Subscription.objects.create(
            device=subscriber.devices[0],
            ends_at=timezone.now() + timedelta(days=days_left, minutes=index),
            autorenew=True,
            autorenew_plan=plan,
        )
    assert renewal_run().outcomes["succeeded"] == 2
    first = Payment.objects.get(invoice_number=1)
    payment_refund(payment=first, amount=1000, reason="Goodwill", staff=staff)
    return Payment.objects.filter(invoice_number__isnull=False).count()


def test_it_restores_balances_end_dates_and_the_invoice_sequence(
    tmp_path: Path, restored_name: str
) -> None:
    invoices = seed_renewed_accounts()
    original = connection.settings_dict["NAME"]
    env = postgres_env()
    dump = tmp_path / "plugline.dump"

    # The drill, as README "Production" gives it.
    run("pg_dump", "-Fc", "-f", str(dump), original, env=env)
    run("createdb", restored_name, env=env)
    run("pg_restore", "--no-owner", "--exit-on-error", "-d", restored_name, str(dump), env=env)

    before, after = snapshot(original), snapshot(restored_name)
    assert after == before
    assert [number for (number,) in after["invoices"]] == list(range(1, invoices + 1))
    assert len(after["balances"]) == 2 and len(after["end_dates"]) == 3
    assert after["balances"][0] == ("drill0@example.com", 4999 - 1000)

    # The restored database takes the next payment with the next number.
    renewed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", NEXT_RENEWAL],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DEBUG": "1",
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": database_url(restored_name),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert renewed.returncode == 0, renewed.stderr
    assert renewed.stdout.strip().splitlines()[-1] == "{'succeeded': 1}", renewed.stdout
    numbers = [number for (number,) in snapshot(restored_name)["invoices"]]
    assert numbers == list(range(1, invoices + 2))
