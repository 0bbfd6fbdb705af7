"""bench/sip.py runs: with a tiny count, on the test database (PostgreSQL), it registers the
subscribers it provisioned on Kamailio with and without digest authentication, places calls
between them, prints both rates and their ratio, and leaves nothing behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from plugline.devices.models import Device
from plugline.telephony.models import KamailioAcc, SipAccount
from plugline.telephony.tests.kamailio import needs_postgres

BENCH = Path(settings.BASE_DIR) / "bench" / "sip.py"


def bench(*arguments: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *arguments],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=settings.BASE_DIR,
    )


def database_url() -> str:
    """The test database, as its owner connects to it."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_it_measures_registrations_with_and_without_digest_and_calls_and_prints_the_ratio():
    result = bench(
        *("--in-place", "--n", "4", "--registers", "20", "--rounds", "1", "--calls", "4"),
        *("--goal", "0"),
        database_url=database_url(),
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    [(digest, noauth, ratio)] = re.findall(
        r"REGISTER/s, best round: digest (\d+), no auth (\d+); ratio ([0-9.]+)", output
    )
    assert int(digest) > 0 and int(noauth) > 0, output
    assert abs(float(ratio) - int(digest) / int(noauth)) < 0.02, output
    [calls] = re.findall(r"call setups/s \(INVITE with digest to 200, ACK, BYE\): (\d+)", output)
    assert int(calls) > 0 and "(4 calls" in output, output
    # What it provisioned in the database it was given, and Kamailio's call records, are gone.
    assert not Device.objects.filter(serial__startswith="BENCHSIP").exists()
    assert not SipAccount.objects.exists()
    assert not KamailioAcc.objects.exists()


def test_it_refuses_sqlite(tmp_path: Path):
    result = bench("--n", "4", database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    assert result.returncode == 2
    assert "needs DATABASE_URL naming a PostgreSQL database" in result.stderr
