"""`manage.py import_orders FILE`: the web shop's orders and the devices they shipped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices import keys
from plugline.devices.models import Device, DeviceStatus, WebOrder
from plugline.devices.services import device_model_default
from plugline.devices.tests.imports import run_import

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.fixture(autouse=True)
def _stock() -> None:
    """Devices PL4000000001 to PL4000000006 in stock, PL4000000009 sold in a store."""
    model = device_model_default()
    for n in [1, 2, 3, 4, 5, 6, 9]:
        key = keys.device_key_generate()
        Device.objects.create(
            serial=f"PL400000000{n}",
            model=model,
            public_key=keys.public_key_from_device_key(key),
            status=DeviceStatus.SOLD_IN_STORE if n == 9 else DeviceStatus.IN_STOCK,
        )


def shipped() -> dict[str, tuple[str, str | None]]:
    """Serial: (status, order number) for the devices in stock before."""
    return {
        serial: (status, number)
        for serial, status, number in Device.objects.values_list(
            "serial", "status", "web_order__number"
        )
    }


def test_it_records_the_orders_and_marks_their_devices_sold_online(tmp_path: Path):
    text = (
        "order_number,email,serial,ordered_at\n"
        "W-1001,Pat@Example.com,PL4000000001,2025-03-14\n"
        "W-1002,robin@example.org,PL4000000002,2025-03-15T18:42:00Z\n"
        "W-1002,robin@example.org,pl4000000003,\n"
    )

    outcome = run_import("import_orders", tmp_path, text)

    assert outcome.exit_code == 0, outcome.output
    assert "3 devices shipped (2 new orders)" in outcome.stdout
    orders = {order.number: order for order in WebOrder.objects.all()}
    assert orders["W-1001"].email == "pat@example.com"
    assert orders["W-1001"].ordered_at == datetime(2025, 3, 14, tzinfo=UTC)
    assert orders["W-1002"].ordered_at == datetime(2025, 3, 15, 18, 42, tzinfo=UTC)
    devices = shipped()
    assert devices["PL4000000001"] == (DeviceStatus.SOLD_ONLINE, "W-1001")
    assert devices["PL4000000002"] == (DeviceStatus.SOLD_ONLINE, "W-1002")
    assert devices["PL4000000003"] == (DeviceStatus.SOLD_ONLINE, "W-1002")
    assert devices["PL4000000004"] == (DeviceStatus.IN_STOCK, None)
    event = AuditEvent.objects.get(action=AuditAction.INVENTORY_IMPORTED)
    assert event.data == {
        "kind": "orders",
        "orders_created": 2,
        "devices_shipped": 3,
        "unchanged": 0,
    }


def test_it_reports_each_bad_row_and_imports_none(tmp_path: Path):
    run_import(
        "import_orders", tmp_path, "order_number,email,serial\nW-900,a@example.com,PL4000000006\n"
    )
    before = shipped()
    text = "\n".join(
        [
            "order_number,email,serial,ordered_at",
            "W-1001,pat@example.com,PL4000000001,2025-03-14",  # line 2: good
            "W-1001,someone.else@example.com,PL4000000002,",  # line 3
            "W-1002,robin@example.org,PL4000000404,",  # line 4
            "W-1003,robin@example.org,PL4000000009,",  # line 5
            "W-1004,robin@example.org,PL4000000006,",  # line 6
            "W-1005,robin@example.org,PL4000000001,",  # line 7
            "W-1006,not an email,PL4000000003,",  # line 8
            "W-1007,robin@example.org,PL4000000004,14/03/2025",  # line 9
            ",robin@example.org,PL4000000005,",  # line 10
        ]
    )

    outcome = run_import("import_orders", tmp_path, text)

    assert outcome.exit_code == 1
    report = outcome.stderr
    assert (
        "line 3, email: order W-1001 is for pat@example.com on line 2: an order has one buyer"
        in report
    )
    assert "line 4, serial: PL4000000404 is not in the inventory" in report
    assert "line 5, serial: PL4000000009 is not in stock (its status is sold_in_store)" in report
    assert "line 6, serial: PL4000000006 was shipped in order W-900" in report
    assert "line 7, serial: PL4000000001 is already on line 2" in report
    assert "line 8, email: 'not an email' is not an email address" in report
    assert "line 9, ordered_at: '14/03/2025' is not an ISO date" in report
    assert "line 10, order_number: the order number is missing" in report
    assert "line 2," not in report
    assert "8 of 9 rows rejected; nothing imported" in report
    assert shipped() == before
    assert list(WebOrder.objects.values_list("number", flat=True)) == ["W-900"]


def test_running_the_same_file_again_ships_nothing_twice(tmp_path: Path, alice: Subscriber):
    text = (
        "order_number,email,serial\n"
        "W-1001,pat@example.com,PL4000000001\n"
        "W-1001,pat@example.com,PL4000000002\n"
    )
    first = run_import("import_orders", tmp_path, text)
    # The buyer activated one meanwhile.
    Device.objects.filter(serial="PL4000000001").update(
        status=DeviceStatus.ACTIVE, owner=alice.user
    )

    again = run_import("import_orders", tmp_path, text)

    assert (first.exit_code, again.exit_code) == (0, 0), again.output
    assert "2 already in their order, left as they were" in again.stdout
    assert WebOrder.objects.count() == 1
    assert shipped()["PL4000000001"] == (DeviceStatus.ACTIVE, "W-1001")


def test_an_order_on_file_can_ship_more_devices_to_its_buyer_only(tmp_path: Path):
    run_import(
        "import_orders",
        tmp_path,
        "order_number,email,serial\nW-1001,pat@example.com,PL4000000001\n",
    )

    more = run_import(
        "import_orders",
        tmp_path,
        "order_number,email,serial\nW-1001,PAT@example.com,PL4000000002\n",
    )
    other = run_import(
        "import_orders",
        tmp_path,
        "order_number,email,serial\nW-1001,eve@example.com,PL4000000003\n",
    )

    assert more.exit_code == 0, more.output
    assert "1 device shipped (0 new orders)" in more.stdout
    assert shipped()["PL4000000002"] == (DeviceStatus.SOLD_ONLINE, "W-1001")
    assert other.exit_code == 1
    assert "order W-1001 is already on file for pat@example.com" in other.stderr
    assert shipped()["PL4000000003"] == (DeviceStatus.IN_STOCK, None)


def test_a_dry_run_checks_every_row_and_ships_nothing(tmp_path: Path):
    outcome = run_import(
        "import_orders",
        tmp_path,
        "order_number,email,serial\nW-1001,pat@example.com,PL4000000001\n",
        "--dry-run",
    )

    assert outcome.exit_code == 0
    assert "(--dry-run: nothing imported): 1 device shipped (1 new order)" in outcome.stdout
    assert not WebOrder.objects.exists()
    assert shipped()["PL4000000001"] == (DeviceStatus.IN_STOCK, None)


def test_the_example_files_import(tmp_path: Path):
    devices = run_import(
        "import_devices", tmp_path, (EXAMPLES / "devices.csv").read_text(encoding="utf-8")
    )
    orders = run_import(
        "import_orders", tmp_path, (EXAMPLES / "orders.csv").read_text(encoding="utf-8")
    )

    assert (devices.exit_code, orders.exit_code) == (0, 0), orders.output
    assert WebOrder.objects.count() == 2
