"""`manage.py import_numbers FILE`: numbers into the inventory, by area code and city."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.tests.imports import run_import
from plugline.telephony.models import NumberStatus, PhoneNumber
from plugline.telephony.selectors import number_cities, numbers_free

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def inventory() -> dict[str, tuple[str, str, str, str, str]]:
    return {
        number.e164: (number.area_code, number.city, number.region, number.country, number.status)
        for number in PhoneNumber.objects.all()
    }


def test_it_imports_numbers_written_any_common_way_as_available(tmp_path: Path):
    text = (
        "number,city,region,country\n"
        "(212) 555-0160,New York,NY,US\n"
        "646.555.0160,New York,NY,\n"
        "+1 416 555 0160,Toronto,ON,\n"
        "514-555-0160,Montréal,QC,CA\n"
        "32 12 34 56,Copenhagen,,DK\n"
    )

    outcome = run_import("import_numbers", tmp_path, text)

    assert outcome.exit_code == 0, outcome.output
    assert "5 new numbers" in outcome.stdout
    assert inventory() == {
        "+12125550160": ("212", "New York", "NY", "US", NumberStatus.AVAILABLE),
        "+16465550160": ("646", "New York", "NY", "US", NumberStatus.AVAILABLE),
        "+14165550160": ("416", "Toronto", "ON", "CA", NumberStatus.AVAILABLE),
        "+15145550160": ("514", "Montréal", "QC", "CA", NumberStatus.AVAILABLE),
        "+4532123456": ("", "Copenhagen", "", "DK", NumberStatus.AVAILABLE),
    }
    # Customers find them by area code or city, Copenhagen included.
    assert [n.e164 for n in numbers_free(area_code="416")] == ["+14165550160"]
    assert [n.e164 for n in numbers_free(city="copenhagen")] == ["+4532123456"]
    assert ("Copenhagen", "", "DK") in number_cities(prefix="Cop")
    event = AuditEvent.objects.get(action=AuditAction.INVENTORY_IMPORTED)
    assert event.data == {"kind": "numbers", "imported": 5, "assigned": 0, "unchanged": 0}


def test_it_reports_each_bad_row_and_imports_none(tmp_path: Path):
    text = "\n".join(
        [
            "number,city,region,country",
            "(212) 555-0160,New York,NY,",  # line 2: good
            "212 555 0160,New York,NY,US",  # line 3: the same number
            "(212) 555-01,New York,NY,",  # line 4
            "(212) 555-0161,New York,NY,CA",  # line 5
            "(212) 555-0162,,NY,",  # line 6
            "(212) 555-0163,New York,NY,Canada",  # line 7
            "call me,Chicago,IL,",  # line 8
        ]
    )

    outcome = run_import("import_numbers", tmp_path, text)

    assert outcome.exit_code == 1
    report = outcome.stderr
    assert "line 3, number: +12125550160 is already on line 2" in report
    assert "line 4, number: '(212) 555-01' is not a phone number" in report
    assert "line 5, country: +12125550161 is a number in US" in report
    assert "line 6, city: the city is missing" in report
    assert "line 7, country: 'Canada' is not a two-letter country code" in report
    assert "line 8, number: 'call me' is not a phone number" in report
    assert "line 2," not in report
    assert "6 of 7 rows rejected; nothing imported" in report
    assert not PhoneNumber.objects.exists()
    assert not AuditEvent.objects.exists()


def test_running_the_same_file_again_imports_nothing_twice(tmp_path: Path):
    text = "number,city,region\n(212) 555-0160,New York,NY\n(312) 555-0160,Chicago,IL\n"
    first = run_import("import_numbers", tmp_path, text)
    PhoneNumber.objects.filter(e164="+12125550160").update(status=NumberStatus.ASSIGNED)

    again = run_import("import_numbers", tmp_path, text)
    moved = run_import("import_numbers", tmp_path, "number,city,region\n3125550160,Evanston,IL\n")

    assert (first.exit_code, again.exit_code) == (0, 0), again.output
    assert "2 already in the inventory, left as they were" in again.stdout
    assert PhoneNumber.objects.count() == 2
    assert inventory()["+12125550160"][4] == NumberStatus.ASSIGNED
    assert moved.exit_code == 1
    assert (
        "line 2, number: +13125550160 is already in the inventory for Chicago, IL, US"
        in moved.stderr
    )


def test_a_number_a_device_already_has_comes_in_assigned(tmp_path: Path, alice: Subscriber):
    text = "number,city,region\n(212) 555-0147,New York,NY\n(212) 555-0160,New York,NY\n"

    outcome = run_import("import_numbers", tmp_path, text)

    assert outcome.exit_code == 0, outcome.output
    assert "(1 of them already a device's number, so assigned)" in outcome.stdout
    assert inventory()["+12125550147"][4] == NumberStatus.ASSIGNED
    assert inventory()["+12125550160"][4] == NumberStatus.AVAILABLE
    assert [n.e164 for n in numbers_free(area_code="212")] == ["+12125550160"]


def test_a_dry_run_checks_every_row_and_imports_nothing(tmp_path: Path):
    outcome = run_import(
        "import_numbers", tmp_path, "number,city,region\n(212) 555-0160,New York,NY\n", "--dry-run"
    )

    assert outcome.exit_code == 0
    assert "(--dry-run: nothing imported): 1 new number" in outcome.stdout
    assert not PhoneNumber.objects.exists()


def test_the_example_file_imports(tmp_path: Path):
    outcome = run_import(
        "import_numbers", tmp_path, (EXAMPLES / "numbers.csv").read_text(encoding="utf-8")
    )

    assert outcome.exit_code == 0, outcome.output
    assert PhoneNumber.objects.count() == 8
