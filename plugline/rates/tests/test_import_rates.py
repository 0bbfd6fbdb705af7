"""`manage.py import_rates FILE`: all or nothing; the same file again changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.tests.imports import run_import
from plugline.rates.importing import DEMO_RATES, demo_rates_import
from plugline.rates.lookup import rate_for_number
from plugline.rates.models import Rate

pytestmark = pytest.mark.django_db

HEADER = (
    "prefix,destination,price_per_minute,connection_fee,increments,valid_from,"
    "destination_fr,destination_da"
)
UK = "44,United Kingdom,2,0,60/60,2026-01-01,Royaume-Uni,Storbritannien"
LONDON = "4420,United Kingdom - London,1,0,60/60,2026-01-01,,"
DK_MOBILE = (
    "452,Denmark - Mobile,7,5,30/6,2026-01-01T06:00:00+01:00,Danemark - Mobile,Danmark - Mobil"
)
INDIA = "91,India,2,,1/1,2026-01-01 00:00,Inde,Indien"


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_it_imports_a_deck_and_rates_numbers_by_it(tmp_path):
    outcome = run_import("import_rates", tmp_path, csv_of(UK, LONDON, DK_MOBILE, INDIA))

    assert outcome.exit_code == 0, outcome.output
    assert "4 new rates" in outcome.stdout
    uk = Rate.objects.get(prefix="44")
    assert (uk.destination, uk.destination_fr, uk.destination_da, uk.country) == (
        "United Kingdom",
        "Royaume-Uni",
        "Storbritannien",
        "GB",
    )
    assert (uk.price_per_minute, uk.connection_fee, uk.currency) == (2, 0, "USD")
    assert uk.valid_from == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    mobile = Rate.objects.get(prefix="452")
    assert (mobile.first_increment, mobile.next_increment, mobile.connection_fee) == (30, 6, 5)
    # A time with its offset is kept as the same moment, in UTC.
    assert mobile.valid_from == dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC)
    # An empty connection fee is none.
    assert Rate.objects.get(prefix="91").connection_fee == 0
    london = rate_for_number("+442079460018")
    assert london is not None and london.destination == "United Kingdom - London"
    event = AuditEvent.objects.get(action=AuditAction.RATES_IMPORTED)
    assert event.data == {"created": 4, "updated": 0, "unchanged": 0}


def test_it_changes_nothing_when_the_same_file_is_imported_again(tmp_path):
    text = csv_of(UK, LONDON, DK_MOBILE, INDIA)
    run_import("import_rates", tmp_path, text)
    before = list(Rate.objects.order_by("pk").values())

    again = run_import("import_rates", tmp_path, text)

    assert again.exit_code == 0, again.output
    assert "4 unchanged" in again.stdout
    assert list(Rate.objects.order_by("pk").values()) == before
    assert AuditEvent.objects.filter(action=AuditAction.RATES_IMPORTED).count() == 1


def test_it_corrects_a_rate_and_adds_a_price_change_from_a_later_date(tmp_path):
    run_import("import_rates", tmp_path, csv_of(UK, LONDON))
    corrected = UK.replace(",2,0,60/60,", ",3,0,60/60,")
    cheaper_later = "44,United Kingdom,1,0,60/60,2027-07-01,Royaume-Uni,Storbritannien"

    outcome = run_import("import_rates", tmp_path, csv_of(corrected, LONDON, cheaper_later))

    assert outcome.exit_code == 0, outcome.output
    assert "1 new rate; 1 rate corrected; 1 unchanged" in outcome.stdout
    june = rate_for_number("+441134960000", at=dt.datetime(2027, 6, 30, tzinfo=dt.UTC))
    july = rate_for_number("+441134960000", at=dt.datetime(2027, 7, 1, tzinfo=dt.UTC))
    assert june is not None and june.price_per_minute == 3
    assert july is not None and july.price_per_minute == 1


def test_it_reports_every_bad_row_by_line_and_column_and_imports_nothing(tmp_path):
    bad_rows = [
        UK,  # line 2: good
        "1876,Jamaica,10,0,60/60,2026-01-01,,",  # line 3
        "44a,United Kingdom,2,0,60/60,2026-01-01,,",  # line 4
        "4420,,0.01,0,60/60,2026-01-01,,",  # line 5
        "33,France,2,0,60,2026-01-01,,",  # line 6
        "45,Denmark,2,0,0/6,01/02/2026,,",  # line 7
        UK.replace(",2,0,", ",3,0,"),  # line 8: line 2's prefix and date again
        "0,Nowhere,2,0,60/60,2026-01-01,,",  # line 9
        "49,Germany,,0,60/60,,,",  # line 10
        "52,Mexico,2,100001,60/60,2026-01-01,," + "x" * 101,  # line 11
    ]
    outcome = run_import("import_rates", tmp_path, csv_of(*bad_rows))

    path = f"{tmp_path}/import_rates.csv"
    assert outcome.exit_code == 1
    assert outcome.rejected_lines == [
        f"{path}: {line}"
        for line in [
            "line 3, prefix: 1876 starts with 1: calls to the US and Canada (+1) are free "
            "and have no rate",
            "line 4, prefix: '44a' is not a prefix: digits only, the country code first "
            "(e.g. 4420)",
            "line 5, destination: the destination's name is missing (e.g. United Kingdom - Mobile)",
            "line 5, price_per_minute: '0.01' is not a whole number of cents (5 for 0.05)",
            "line 6, increments: '60' is not first/next increments in seconds (60/60, 30/6 or 1/1)",
            "line 7, increments: each increment is from 1 to 3600 seconds",
            "line 7, valid_from: '01/02/2026' is not a date (2027-01-01) "
            "or a time (2027-01-01T00:00:00Z)",
            "line 8, valid_from: prefix 44 already has a rate from 2026-01-01 on line 2",
            "line 9, prefix: 0 does not start with a country code (e.g. 44, 33, 45, 52)",
            "line 10, price_per_minute: the price is missing (in cents: 5 for 0.05)",
            "line 10, valid_from: the date the rate starts is missing (2027-01-01)",
            "line 11, destination_da: at most 100 characters",
            "line 11, connection_fee: at most 100000 (in cents)",
        ]
    ] + [f"{path}: 9 of 10 rows rejected; nothing imported"]
    assert not Rate.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RATES_IMPORTED).exists()


def test_it_refuses_a_file_without_the_required_columns(tmp_path):
    outcome = run_import("import_rates", tmp_path, "prefix,destination,price\n44,UK,2\n")
    assert outcome.exit_code == 1
    assert "line 1, increments: this column is missing from the header" in outcome.stderr
    assert "line 1, price: unknown column" in outcome.stderr
    assert not Rate.objects.exists()


def test_it_checks_every_row_and_imports_nothing_on_a_dry_run(tmp_path):
    outcome = run_import("import_rates", tmp_path, csv_of(UK, LONDON), "--dry-run")
    assert outcome.exit_code == 0, outcome.output
    assert "all 2 rows are good (--dry-run: nothing imported): 2 new rates" in outcome.stdout
    assert not Rate.objects.exists()


def test_the_demo_deck_imports_cleanly_and_again_without_change():
    report = demo_rates_import()
    assert 40 <= report.counts["created"] <= 80
    countries = set(Rate.objects.values_list("country", flat=True))
    assert {"GB", "FR", "DK", "DE", "MX", "IN", "PH"} <= countries
    # Mobiles have longer prefixes than their country's.
    mobile = rate_for_number("+639171234567")
    assert mobile is not None and mobile.destination == "Philippines - Mobile"
    assert not Rate.objects.filter(destination_fr="").exists()
    assert not Rate.objects.filter(destination_da="").exists()

    again = demo_rates_import()
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.counts["unchanged"] == report.counts["created"]
    assert DEMO_RATES.read_text(encoding="utf-8").startswith("prefix,destination,")
