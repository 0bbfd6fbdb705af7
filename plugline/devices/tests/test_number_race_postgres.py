"""Two wizards, in two processes, racing for the last free number of an area code.

PostgreSQL only: SQLite takes one writer at a time, so there is no race to
lose there. Each process is a browser on the "Choose a phone number" page
(see number_race.py); both choose the same number at the same moment,
several times over. Exactly one gets it each time, and the other is told
to choose again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from plugline.core.tests.racing import (
    Worker,
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)
from plugline.devices.models import Activation
from plugline.devices.tests.wizard_factory import make_device, wizard_at
from plugline.telephony.models import NumberStatus, PhoneNumber

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

# One last free number in each of these area codes: one race each.
AREA_CODES = ("303", "312", "415", "503", "602", "617", "702", "713")


def start_browser(activation: Activation, sync_dir: Path, numbers: list[str]) -> Worker:
    return worker_start("plugline.devices.tests.number_race", activation.pk, sync_dir, *numbers)


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
    with workers_stopped_after(browsers):
        for number in numbers:
            workers_wait([tmp_path / f"ready-{wizard.pk}-{number}" for wizard in wizards], browsers)
            (tmp_path / f"go-{number}").touch()
        finished = workers_finish(browsers)
    for result in finished:
        assert result.returncode == 0, result.err
    results = [
        [json.loads(line) for line in result.lines() if line.startswith("{")] for result in finished
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
