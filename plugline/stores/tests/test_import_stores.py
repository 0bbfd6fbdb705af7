"""`manage.py import_stores FILE`: a chain's store list, all or nothing, updated on re-import."""

from __future__ import annotations

import pytest

from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.tests.imports import run_import
from plugline.stores.models import RetailChain, Store
from plugline.stores.tests.factories import make_chain

pytestmark = pytest.mark.django_db

HEADER = (
    "chain_code,chain_name,store_number,name,address,address_line2,city,region,postal_code,"
    "country,latitude,longitude,phone,opening_hours,sells_devices,sells_reup_cards"
)
MONTREAL = (
    'cornermart,CornerMart,101,CornerMart Plateau,"4100 Rue Saint-Denis",,Montréal,QC,h2w2m5,'
    'CA,45.5205,-73.5790,+1 514 555 0101,"Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off",yes,yes'
)
NEW_YORK = (
    "kiosk24,Kiosk 24,NY-7,Kiosk 24 Chelsea,350 W 31st St,Suite 2,New York,NY,10001,US,"
    "40.7508,-73.9961,,24/7,no,yes"
)
COPENHAGEN = (
    "kiosk24,,DK-1,Kiosk 24 Nørrebro,Nørrebrogade 1,,København N,,2200,dk,55.6880,12.5580,,"
    "Mo-Su 07:00-23:00,true,false"
)


def csv_of(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_it_imports_stores_and_creates_their_chains(tmp_path):
    outcome = run_import("import_stores", tmp_path, csv_of(MONTREAL, NEW_YORK, COPENHAGEN))

    assert outcome.exit_code == 0, outcome.output
    assert "2 new chains; 3 new stores" in outcome.stdout
    assert dict(RetailChain.objects.values_list("code", "name")) == {
        "cornermart": "CornerMart",
        "kiosk24": "Kiosk 24",
    }
    plateau = Store.objects.get(external_id="101")
    assert (plateau.chain.code, plateau.postal_code, plateau.postal_code_key) == (
        "cornermart",
        "H2W 2M5",
        "H2W2M5",
    )
    assert (plateau.latitude, plateau.longitude, plateau.phone) == (
        45.5205,
        -73.579,
        "+1 514 555 0101",
    )
    assert plateau.opening_hours == "Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off"
    assert (plateau.sells_devices, plateau.sells_reup_cards, plateau.active) == (True, True, True)
    chelsea = Store.objects.get(external_id="NY-7")
    assert (chelsea.address_line2, chelsea.sells_devices, chelsea.sells_reup_cards) == (
        "Suite 2",
        False,
        True,
    )
    norrebro = Store.objects.get(external_id="DK-1")
    assert (norrebro.country, norrebro.postal_code_key, norrebro.chain.name) == (
        "DK",
        "2200",
        "Kiosk 24",
    )
    event = AuditEvent.objects.get(action=AuditAction.STORES_IMPORTED)
    assert event.data["created"] == 3
    assert event.data["chains_created"] == 2


def test_it_reports_every_bad_row_by_line_and_imports_nothing(tmp_path):
    bad_rows = [
        MONTREAL.replace("45.5205", "91"),  # line 2
        NEW_YORK.replace("10001", "1000A").replace("40.7508", "north"),  # line 3
        COPENHAGEN.replace("Mo-Su 07:00-23:00", "Mo-Su 7-23"),  # line 4
        MONTREAL.replace(",101,", ",102,").replace(",yes,yes", ",maybe,yes"),  # line 5
        MONTREAL.replace("-73.5790", "-181"),  # line 6
        "newchain,,1,Shop,1 Main St,,Chicago,IL,60601,US,41.88,-87.62,,,yes,yes",  # line 7
        MONTREAL.replace(",101,", ",103,").replace(",CA,", ",Canada,"),  # line 8
        MONTREAL.replace("cornermart,CornerMart", "cornermart,Corner Mart").replace(
            ",101,", ",104,"
        ),
        NEW_YORK,  # line 10: good
        NEW_YORK,  # line 11: the same store again
        MONTREAL.replace("CornerMart Plateau", ""),  # line 12
    ]
    outcome = run_import("import_stores", tmp_path, csv_of(*bad_rows))

    assert outcome.exit_code == 1
    assert outcome.rejected_lines == [
        f"{tmp_path}/import_stores.csv: {line}"
        for line in [
            "line 2, latitude: latitude must be between -90 and 90",
            "line 3, postal_code: '1000A' is not a ZIP code like 10001 or 10001-1234",
            "line 3, latitude: 'north' is not a number (e.g. 45.5017)",
            "line 4, opening_hours: '7' is not a time like 08:00 "
            "(e.g. Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off)",
            "line 5, sells_devices: 'maybe' is not yes or no",
            "line 6, longitude: longitude must be between -180 and 180",
            "line 7, chain_name: newchain is a new chain: give its name "
            "(on this line or another of its lines)",
            "line 8, country: the country is its 2-letter ISO code (US, CA, DK)",
            "line 9, chain_name: cornermart is named 'CornerMart' on line 2",
            "line 11, store_number: store NY-7 of kiosk24 is already on line 10",
            "line 12, name: the name is missing",
        ]
    ] + [f"{tmp_path}/import_stores.csv: 10 of 11 rows rejected; nothing imported"]
    assert not Store.objects.exists()
    assert not RetailChain.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.STORES_IMPORTED).exists()


def test_it_refuses_a_file_without_the_required_columns(tmp_path):
    outcome = run_import("import_stores", tmp_path, "chain_code,name,lat\ncornermart,Shop,45\n")
    assert outcome.exit_code == 1
    assert "line 1, store_number: this column is missing from the header" in outcome.stderr
    assert "line 1, lat: unknown column" in outcome.stderr
    assert not Store.objects.exists()


def test_it_updates_the_stores_a_second_import_names_again(tmp_path):
    run_import("import_stores", tmp_path, csv_of(MONTREAL, NEW_YORK))
    chelsea = Store.objects.get(external_id="NY-7")
    moved = NEW_YORK.replace("350 W 31st St", "360 W 31st St").replace("10001", "10001-2062")
    closed = MONTREAL.replace(",yes,yes", ",yes,yes,no")

    outcome = run_import("import_stores", tmp_path, csv_of(moved))
    assert outcome.exit_code == 0, outcome.output
    assert "1 store updated" in outcome.stdout
    chelsea.refresh_from_db()
    assert (chelsea.address_line1, chelsea.postal_code_key) == ("360 W 31st St", "100012062")
    assert Store.objects.count() == 2

    outcome = run_import("import_stores", tmp_path, f"{HEADER},active\n{closed}\n{NEW_YORK}")
    assert outcome.exit_code == 0, outcome.output
    assert "2 stores updated" in outcome.stdout
    assert list(Store.objects.filter(active=True).values_list("external_id", flat=True)) == ["NY-7"]
    outcome = run_import("import_stores", tmp_path, f"{HEADER},active\n{closed}\n{NEW_YORK}")
    assert "2 unchanged" in outcome.stdout


def test_it_renames_a_chain_that_the_file_names_differently(tmp_path):
    make_chain("cornermart", "Corner Mart Inc.")
    outcome = run_import("import_stores", tmp_path, csv_of(MONTREAL))
    assert outcome.exit_code == 0, outcome.output
    assert "1 chain renamed; 1 new store" in outcome.stdout
    assert RetailChain.objects.get().name == "CornerMart"


def test_it_checks_everything_and_writes_nothing_on_a_dry_run(tmp_path):
    outcome = run_import("import_stores", tmp_path, csv_of(MONTREAL, NEW_YORK), "--dry-run")
    assert outcome.exit_code == 0, outcome.output
    assert "all 2 rows are good (--dry-run: nothing imported): 2 new chains; 2 new stores" in (
        outcome.stdout
    )
    assert not Store.objects.exists()


def test_it_imports_ten_thousand_stores_in_bulk(tmp_path, django_assert_max_num_queries):
    rows = [
        f"bigchain,Big Chain,{n},Store {n},{n} Main St,,Chicago,IL,606{n % 100:02d},US,"
        f"{41 + (n % 1000) / 1000},{-88 + (n // 1000) / 10},,Mo-Sa 08:00-20:00,yes,yes"
        for n in range(10_000)
    ]
    # Bulk writes: a query per batch of rows (SQLite takes small batches), not per row.
    with django_assert_max_num_queries(400):
        outcome = run_import("import_stores", tmp_path, csv_of(*rows))
    assert outcome.exit_code == 0, outcome.output
    assert Store.objects.filter(postal_code_key="60642").count() == 100
    with django_assert_max_num_queries(400):
        outcome = run_import("import_stores", tmp_path, csv_of(*rows))
    assert "10000 unchanged" in outcome.stdout
