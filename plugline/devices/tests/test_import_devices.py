"""`manage.py import_devices FILE`: the factory's devices into the inventory, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices import keys
from plugline.devices.models import Device, DeviceModel, DeviceStatus
from plugline.devices.services import device_model_default
from plugline.devices.tests.imports import run_import

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.fixture(autouse=True)
def _usb_model() -> DeviceModel:
    return device_model_default()


def factory_devices(count: int) -> list[tuple[str, str, str]]:
    """(serial, device key, label code) as the factory sends them."""
    return [
        (f"PL30000000{n:02d}", keys.device_key_generate(), keys.label_code_generate())
        for n in range(1, count + 1)
    ]


def csv_of(devices: list[tuple[str, str, str]], status: str = "") -> str:
    header = "serial,model,device_key,label_code" + (",status" if status else "")
    lines = [
        f"{serial},plugline-usb,{key},{code}" + (f",{status}" if status else "")
        for serial, key, code in devices
    ]
    return "\n".join([header, *lines]) + "\n"


def test_it_imports_every_device_of_a_good_file(tmp_path: Path):
    (one, key_one, code_one), (two, key_two, code_two), (three, key_three, code_three) = (
        factory_devices(3)
    )
    text = (
        "serial,model,device_key,label_code,status\n"
        f"{one},plugline-usb,{key_one},{code_one},in_stock\n"
        f"{two.lower()},PLUGLINE-USB,{key_two},{code_two[:4]}-{code_two[4:].lower()},"
        "sold_in_store\n"
        f"{three},plugline-usb,{key_three},{code_three},\n"
    )

    outcome = run_import("import_devices", tmp_path, text)

    assert outcome.exit_code == 0, outcome.output
    assert "3 new devices" in outcome.stdout
    devices = {device.serial: device for device in Device.objects.all()}
    assert set(devices) == {one, two, three}
    assert devices[one].status == DeviceStatus.IN_STOCK
    assert devices[two].status == DeviceStatus.SOLD_IN_STORE
    assert devices[three].status == DeviceStatus.IN_STOCK
    # The device proves it is there with its key; the label code works with its serial.
    challenge = "a-one-time-challenge"
    assert keys.presence_signature_is_valid(
        public_key=devices[two].public_key,
        challenge=challenge,
        signature=keys.presence_sign(device_key=key_two, challenge=challenge),
    )
    assert keys.label_code_matches(
        serial=two, code=code_two, stored_hash=devices[two].label_code_hash
    )
    event = AuditEvent.objects.get(action=AuditAction.INVENTORY_IMPORTED)
    assert event.data == {"kind": "devices", "imported": 3, "unchanged": 0}


def test_it_reports_each_bad_row_and_imports_none(tmp_path: Path, alice: Subscriber):
    (good, good_key, good_code), (twice, key, code), (_, other_key, other_code) = factory_devices(3)
    text = "\n".join(
        [
            "serial,model,device_key,label_code,status",
            f"{good},plugline-usb,{good_key},{good_code},in_stock",  # line 2: good
            f"{twice},plugline-usb,{key},{code},",  # line 3: good, but see line 4
            f"{twice},plugline-usb,{other_key},{other_code},",  # line 4
            f",plugline-usb,{keys.device_key_generate()},{other_code},",  # line 5
            f"{alice.devices[0].serial},plugline-usb,{keys.device_key_generate()},{code},",
            f"PL3000000097,plugline-mini,{keys.device_key_generate()},{code},",  # line 7
            f"PL3000000098,plugline-usb,not-a-key,{code},",  # line 8
            f"PL3000000099,plugline-usb,{keys.device_key_generate()},ABCD0EFG,",  # line 9
            f"PL3000000100,plugline-usb,{keys.device_key_generate()},{code},active",  # line 10
            f"PL3000000101,plugline-usb,{good_key},{code},",  # line 11
        ]
    )

    outcome = run_import("import_devices", tmp_path, text)

    assert outcome.exit_code == 1
    report = outcome.stderr
    assert f"line 4, serial: {twice} is already on line 3" in report
    assert "line 5, serial: the serial number is missing" in report
    assert (
        f"line 6, serial: {alice.devices[0].serial} is already in the inventory with "
        "another device key and label code" in report
    )
    assert "line 7, model: no device model has the code 'plugline-mini'" in report
    assert "line 8, device_key: not a device key" in report
    assert "line 9, label_code: a label code is 8 characters" in report
    assert "line 10, status: 'active' is not a status a device can be imported with" in report
    assert "line 11, device_key: the same device key as on line 2" in report
    assert "line 2" not in report.replace("as on line 2", "")
    assert "line 3," not in report
    assert "8 of 10 rows rejected; nothing imported" in report
    assert not Device.objects.exclude(pk=alice.devices[0].pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.INVENTORY_IMPORTED).exists()


def test_it_never_stores_or_prints_a_device_key_or_label_code(tmp_path: Path):
    devices = factory_devices(2)
    bad_row = f"PL3000000099,plugline-mini,{devices[0][1][:-1]}!,{devices[0][2]}\n"

    rejected = run_import("import_devices", tmp_path, csv_of(devices) + bad_row)
    imported = run_import("import_devices", tmp_path, csv_of(devices))

    assert rejected.exit_code == 1
    assert imported.exit_code == 0
    stored = json.dumps(
        [
            list(Device.objects.values_list()),
            list(AuditEvent.objects.values_list("data", flat=True)),
        ],
        default=str,
    )
    for _, key, code in devices:
        assert key not in rejected.output + imported.output
        assert key[:-1] not in rejected.output + imported.output + stored
        assert code not in rejected.output + imported.output + stored


def test_running_the_same_file_again_imports_nothing_twice(tmp_path: Path):
    devices = factory_devices(3)
    first = run_import("import_devices", tmp_path, csv_of(devices))

    again = run_import("import_devices", tmp_path, csv_of(devices))

    assert (first.exit_code, again.exit_code) == (0, 0)
    assert "3 already in the inventory, left as they were" in again.stdout
    assert Device.objects.count() == 3
    serial, _, code = devices[0]
    changed = [(serial, keys.device_key_generate(), code), *devices[1:]]
    refused = run_import("import_devices", tmp_path, csv_of(changed))
    assert refused.exit_code == 1
    assert f"{serial} is already in the inventory with another device key" in refused.stderr


def test_a_device_sold_since_is_left_as_it_is_when_its_file_comes_again(
    tmp_path: Path, alice: Subscriber
):
    devices = factory_devices(1)
    run_import("import_devices", tmp_path, csv_of(devices))
    Device.objects.filter(serial=devices[0][0]).update(status=DeviceStatus.SOLD_IN_STORE)

    again = run_import("import_devices", tmp_path, csv_of(devices, status="in_stock"))

    assert again.exit_code == 0
    assert Device.objects.get(serial=devices[0][0]).status == DeviceStatus.SOLD_IN_STORE


def test_a_dry_run_checks_every_row_and_imports_nothing(tmp_path: Path):
    devices = factory_devices(2)

    good = run_import("import_devices", tmp_path, csv_of(devices), "--dry-run")
    bad = run_import("import_devices", tmp_path, csv_of(devices) + "PL3000000099,,,\n", "--dry-run")

    assert good.exit_code == 0
    assert "all 2 rows are good (--dry-run: nothing imported): 2 new devices" in good.stdout
    assert bad.exit_code == 1
    assert "line 4, model: the model is missing" in bad.stderr
    assert not Device.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_file_without_the_columns_is_rejected_as_a_whole(tmp_path: Path):
    serial, key, code = factory_devices(1)[0]

    outcome = run_import(
        "import_devices", tmp_path, f"serial,model,key,code\n{serial},plugline-usb,{key},{code}\n"
    )

    assert outcome.exit_code == 1
    assert "line 1, device_key: this column is missing from the header" in outcome.stderr
    assert "line 1, label_code: this column is missing from the header" in outcome.stderr
    assert "line 1, key: unknown column; the columns are: serial, model" in outcome.stderr
    assert "file rejected; nothing imported" in outcome.stderr
    assert not Device.objects.exists()


def test_it_reads_a_spreadsheets_semicolons_and_byte_order_mark(tmp_path: Path):
    serial, key, code = factory_devices(1)[0]
    text = f"\ufeffSerial; Model; Device_Key; Label_Code\r\n{serial};plugline-usb;{key};{code}\r\n"

    outcome = run_import("import_devices", tmp_path, text)

    assert outcome.exit_code == 0, outcome.output
    assert Device.objects.filter(serial=serial).exists()


def test_a_file_that_is_not_utf8_is_rejected_with_the_line(tmp_path: Path):
    serial, key, code = factory_devices(1)[0]
    text = f"serial,model,device_key,label_code\n{serial},plugline-usb,{key},{code}\nMontréal\n"

    outcome = run_import("import_devices", tmp_path, text, encoding="latin-1")

    assert outcome.exit_code == 1
    assert "line 3: is not UTF-8 text" in outcome.stderr
    assert not Device.objects.exists()


def test_a_missing_file_is_an_error(tmp_path: Path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_devices", str(tmp_path / "missing.csv"))


def test_the_example_file_imports(tmp_path: Path):
    outcome = run_import(
        "import_devices", tmp_path, (EXAMPLES / "devices.csv").read_text(encoding="utf-8")
    )

    assert outcome.exit_code == 0, outcome.output
    assert Device.objects.count() == 5
