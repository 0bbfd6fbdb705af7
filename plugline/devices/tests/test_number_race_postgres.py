"""Two wizards, in two processes, racing for the last free number of an area code.

PostgreSQL only: SQLite takes one writer at a time, so there is no race to
lose there. Each process is a browser on the "Choose a phone number" page
(see number_race.py); both choose the same number at the same moment,
several times over. Exactly one gets it each time, and the other is told
to choose again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from plugline.devices.models import Activation
from plugline.devices.tests.wizard_factory import make_device, wizard_at
from plugline.telephony.models import NumberStatus, PhoneNumber

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a race between two processes needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

# One last free number in each of these area codes: one race each.
AREA_CODES = ("303", "312", "415", "503", "602", "617", "702", "713")


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_browser(
    activation: Activation, sync_dir: Path, numbers: list[str]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plugline.devices.tests.number_race",
            str(activation.pk),
            str(sync_dir),
            *numbers,
        ],
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "plugline.settings",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )


def wait_for(paths: list[Path], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in paths):
        assert time.monotonic() < deadline, f"never ready: {paths}"
        time.sleep(0.01)


def test_two_wizards_racing_for_the_last_number_one_gets_it_the_other_chooses_again(
    tmp_path: Path,
):
    numbers = []
    for area_code in AREA_CODES:
        e164 = f"+1{area_code}5550100"
        PhoneNumber.objects.create(e164=e164, country="US", area_code=area_code, city="Anytown")
        numbers.append(e164)
    wizards = [wizard_at(Client(), "number", device=make_device(f"PLRACE0000{n}")) for n in (1, 2)]
    browsers = [start_browser(wizard, tmp_path, numbers) for wizard in wizards]
    try:
        for number in numbers:
            wait_for([tmp_path / f"ready-{wizard.pk}-{number}" for wizard in wizards])
            (tmp_path / f"go-{number}").touch()
        outputs = [browser.communicate(timeout=120) for browser in browsers]
    finally:
        for browser in browsers:
            if browser.poll() is None:
                browser.kill()
    for browser, (_, errors) in zip(browsers, outputs, strict=True):
        assert browser.returncode == 0, errors
    results = [
        [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        for out, _ in outputs
    ]
    for index, number in enumerate(numbers):
        first, second = results[0][index], results[1][index]
        assert first["number"] == second["number"] == number
        # Exactly one got it; the other was asked to choose again.
        assert first["won"] != second["won"], (number, first, second)
        loser = second if first["won"] else first
        assert loser["told_to_choose_again"]
        winner = wizards[0] if first["won"] else wizards[1]
        held = PhoneNumber.objects.get(e164=number)
        # The winner holds the last number it won; each earlier one went back when it
        # chose the next.
        assert held.status in (NumberStatus.RESERVED, NumberStatus.AVAILABLE)
        if held.status == NumberStatus.RESERVED:
            assert held.reserved_for == winner.holder
    # The numbers each wizard ended with are reserved for it, and only for it.
    for wizard in wizards:
        wizard.refresh_from_db()
        if wizard.phone_number:
            assert PhoneNumber.objects.get(e164=wizard.phone_number).reserved_for == wizard.holder
