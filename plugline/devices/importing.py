"""The operator's imports into the device inventory: devices from the factory, web orders.

The commands `import_devices` and `import_orders` are thin; the rules are
here. Each import checks every row of the file (plugline.core.csv_import)
and writes nothing unless all of them are good, in one transaction. Rows
imported before are counted and left as they are, so that running an import
again is safe.

The factory's device key is read only to derive the public key that Plugline
stores (devices.keys): the key itself is never stored, logged, or repeated in
a report, and neither is the label code.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from plugline.core.csv_import import ImportReport, InventoryChanged, Row, csv_rows, in_batches
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.devices import keys
from plugline.devices.models import Device, DeviceModel, DeviceStatus, WebOrder

DEVICE_COLUMNS = ("serial", "model", "device_key", "label_code")
DEVICE_OPTIONAL_COLUMNS = ("status",)
ORDER_COLUMNS = ("order_number", "email", "serial")
ORDER_OPTIONAL_COLUMNS = ("ordered_at",)
# What a device can be when it arrives: in the warehouse, or shipped to a shop.
IMPORT_STATUSES = (DeviceStatus.IN_STOCK, DeviceStatus.SOLD_IN_STORE)

SERIAL_MAX_LENGTH = 40
SERIAL_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]*")
# 32 bytes in url-safe base64: 43 characters, with or without the padding
# (checked here because base64 decoding quietly skips stray characters).
DEVICE_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}=?")
ORDER_NUMBER_MAX_LENGTH = 40


def serial_normalize(text: str) -> str:
    """A serial number as stored: capitals, no surrounding spaces."""
    return text.strip().upper()


def _serial_problem(serial: str) -> str:
    if not serial:
        return "the serial number is missing"
    if len(serial) > SERIAL_MAX_LENGTH:
        return f"a serial number has at most {SERIAL_MAX_LENGTH} characters"
    if not SERIAL_PATTERN.fullmatch(serial):
        return f"{serial!r} is not a serial number (letters, digits and dashes only)"
    return ""


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _summary(*parts: str) -> str:
    return "; ".join(part for part in parts if part) or "nothing to import"


# Devices


@dataclass(frozen=True)
class _DeviceRow:
    line: int
    serial: str
    model: DeviceModel
    public_key: str
    label_code_hash: str
    status: str


@transaction.atomic
def devices_import(*, data: bytes | str, dry_run: bool = False) -> ImportReport:
    """Add the devices in a CSV file (serial, model, device_key, label_code[, status]).

    A serial already in the inventory with the same model, key and label
    code counts as imported before and is left as it is (whatever its status
    now); with anything different, the row is rejected.
    """
    report = ImportReport(kind="devices", dry_run=dry_run)
    rows = csv_rows(data, required=DEVICE_COLUMNS, optional=DEVICE_OPTIONAL_COLUMNS, report=report)
    models = {model.code.lower(): model for model in DeviceModel.objects.all()}
    serial_lines: dict[str, int] = {}
    key_lines: dict[str, int] = {}
    candidates: list[_DeviceRow] = []
    for row in rows:
        candidate = _device_row(row, models=models, report=report)
        if candidate is None:
            continue
        if candidate.serial in serial_lines:
            report.reject(
                row.line,
                "serial",
                f"{candidate.serial} is already on line {serial_lines[candidate.serial]}",
            )
            continue
        serial_lines[candidate.serial] = row.line
        if candidate.public_key in key_lines:
            report.reject(
                row.line,
                "device_key",
                f"the same device key as on line {key_lines[candidate.public_key]}",
            )
            continue
        key_lines[candidate.public_key] = row.line
        candidates.append(candidate)

    existing: dict[str, Device] = {}
    for batch in in_batches(serial_lines):
        existing.update((d.serial, d) for d in Device.objects.filter(serial__in=batch))
    key_owners: dict[str, str] = {}
    for batch in in_batches(key_lines):
        key_owners.update(
            Device.objects.filter(public_key__in=batch).values_list("public_key", "serial")
        )
    new: list[_DeviceRow] = []
    unchanged = 0
    for candidate in candidates:
        known = existing.get(candidate.serial)
        if known is not None:
            differences = [
                column
                for column, same in (
                    ("model", known.model_id == candidate.model.pk),
                    ("device key", known.public_key == candidate.public_key),
                    ("label code", known.label_code_hash == candidate.label_code_hash),
                )
                if not same
            ]
            if differences:
                report.reject(
                    candidate.line,
                    "serial",
                    f"{candidate.serial} is already in the inventory with another "
                    f"{' and '.join(differences)} (an import does not change existing devices)",
                )
            else:
                unchanged += 1
            continue
        if candidate.public_key in key_owners:
            report.reject(
                candidate.line,
                "device_key",
                f"this device key is already device {key_owners[candidate.public_key]}'s",
            )
            continue
        new.append(candidate)

    report.counts = {"imported": len(new), "unchanged": unchanged}
    report.summary = _summary(
        _plural(len(new), "new device", "new devices") if new else "",
        f"{unchanged} already in the inventory, left as they were" if unchanged else "",
    )
    if not report.written:
        return report
    Device.objects.bulk_create(
        Device(
            serial=row.serial,
            model=row.model,
            public_key=row.public_key,
            label_code_hash=row.label_code_hash,
            status=row.status,
        )
        for row in new
    )
    audit_record(action=AuditAction.INVENTORY_IMPORTED, data={"kind": "devices", **report.counts})
    return report


def _device_row(
    row: Row, *, models: dict[str, DeviceModel], report: ImportReport
) -> _DeviceRow | None:
    """The device a row describes, or None with each of its problems reported."""
    before = len(report.rejections)
    serial = serial_normalize(row["serial"])
    if problem := _serial_problem(serial):
        report.reject(row.line, "serial", problem)

    model = models.get(row["model"].lower())
    if not row["model"]:
        report.reject(row.line, "model", "the model is missing")
    elif model is None:
        known = ", ".join(sorted(models)) or "none yet, add one in the admin"
        report.reject(
            row.line, "model", f"no device model has the code {row['model']!r} (known: {known})"
        )

    # The key's value is never repeated: not in a report, not anywhere.
    public_key = ""
    if not row["device_key"]:
        report.reject(row.line, "device_key", "the device key is missing")
    elif not DEVICE_KEY_PATTERN.fullmatch(row["device_key"]):
        report.reject(
            row.line,
            "device_key",
            "not a device key (32 bytes in url-safe base64: 43 characters A-Z a-z 0-9 - _)",
        )
    else:
        try:
            public_key = keys.public_key_from_device_key(row["device_key"])
        except (keys.BadDeviceKey, ValueError):
            report.reject(row.line, "device_key", "not a device key")

    label_code = keys.label_code_normalize(row["label_code"])
    if not label_code:
        report.reject(row.line, "label_code", "the label code is missing")
    elif len(label_code) != keys.LABEL_CODE_LENGTH or any(
        character not in keys.LABEL_ALPHABET for character in label_code
    ):
        report.reject(
            row.line,
            "label_code",
            f"a label code is {keys.LABEL_CODE_LENGTH} characters from "
            f"{keys.LABEL_ALPHABET} (no 0, 1, I, L or O)",
        )

    status = row["status"].lower() or DeviceStatus.IN_STOCK
    if status not in IMPORT_STATUSES:
        report.reject(
            row.line,
            "status",
            f"{row['status']!r} is not a status a device can be imported with "
            f"({' or '.join(IMPORT_STATUSES)}; empty means {DeviceStatus.IN_STOCK})",
        )

    if len(report.rejections) > before or model is None:
        # A row with a good serial still counts for spotting duplicates.
        return None
    return _DeviceRow(
        line=row.line,
        serial=serial,
        model=model,
        public_key=public_key,
        label_code_hash=keys.label_code_hash(serial=serial, code=label_code),
        status=status,
    )


# Web orders


@dataclass(frozen=True)
class _Shipment:
    line: int
    order_number: str
    email: str
    serial: str
    ordered_at: datetime | None


@transaction.atomic
def orders_import(*, data: bytes | str, dry_run: bool = False) -> ImportReport:
    """Record web orders from a CSV file (order_number, email, serial[, ordered_at]).

    One row per device shipped. The device must be in stock; a device already
    in the same order counts as imported before. An order already on file
    can receive more devices, for the same email.
    """
    report = ImportReport(kind="orders", dry_run=dry_run)
    rows = csv_rows(data, required=ORDER_COLUMNS, optional=ORDER_OPTIONAL_COLUMNS, report=report)
    first_of_order: dict[str, _Shipment] = {}
    serial_lines: dict[str, int] = {}
    shipments: list[_Shipment] = []
    for row in rows:
        shipment = _shipment_row(row, report=report)
        if shipment is None:
            continue
        if shipment.serial in serial_lines:
            report.reject(
                row.line,
                "serial",
                f"{shipment.serial} is already on line {serial_lines[shipment.serial]}",
            )
            continue
        serial_lines[shipment.serial] = row.line
        first = first_of_order.setdefault(shipment.order_number, shipment)
        if _order_rows_disagree(first, shipment, report=report):
            continue
        shipments.append(shipment)

    orders: dict[str, WebOrder] = {}
    for batch in in_batches(first_of_order):
        orders.update(
            (order.number, order)
            for order in WebOrder.objects.select_for_update().filter(number__in=batch)
        )
    devices: dict[str, Device] = {}
    for batch in in_batches(serial_lines):
        devices.update(
            (device.serial, device)
            for device in Device.objects.select_for_update(of=("self",))
            .select_related("web_order")
            .filter(serial__in=batch)
        )
    to_ship: list[_Shipment] = []
    unchanged = 0
    for shipment in shipments:
        order = orders.get(shipment.order_number)
        if order is not None and _order_on_file_disagrees(order, shipment, report=report):
            continue
        device = devices.get(shipment.serial)
        if device is None:
            report.reject(
                shipment.line,
                "serial",
                f"{shipment.serial} is not in the inventory (import it with import_devices first)",
            )
        elif device.web_order is not None:
            if device.web_order.number == shipment.order_number:
                unchanged += 1
            else:
                report.reject(
                    shipment.line,
                    "serial",
                    f"{shipment.serial} was shipped in order {device.web_order.number}",
                )
        elif device.status != DeviceStatus.IN_STOCK:
            report.reject(
                shipment.line,
                "serial",
                f"{shipment.serial} is not in stock (its status is {device.status})",
            )
        else:
            to_ship.append(shipment)

    new_orders = {s.order_number for s in to_ship} - set(orders)
    report.counts = {
        "orders_created": len(new_orders),
        "devices_shipped": len(to_ship),
        "unchanged": unchanged,
    }
    report.summary = _summary(
        f"{_plural(len(to_ship), 'device', 'devices')} shipped "
        f"({_plural(len(new_orders), 'new order', 'new orders')})"
        if to_ship
        else "",
        f"{unchanged} already in their order, left as they were" if unchanged else "",
    )
    if not report.written:
        return report
    for number in sorted(new_orders):
        first = first_of_order[number]
        orders[number] = WebOrder.objects.create(
            number=number,
            email=first.email,
            ordered_at=next(
                (s.ordered_at for s in to_ship if s.order_number == number and s.ordered_at),
                None,
            ),
        )
    for number, order in orders.items():
        serials = [s.serial for s in to_ship if s.order_number == number]
        if order.ordered_at is None and (
            dated := next(
                (s.ordered_at for s in shipments if s.order_number == number and s.ordered_at),
                None,
            )
        ):
            WebOrder.objects.filter(pk=order.pk, ordered_at__isnull=True).update(ordered_at=dated)
        if not serials:
            continue
        shipped = Device.objects.filter(
            serial__in=serials, status=DeviceStatus.IN_STOCK, web_order__isnull=True
        ).update(web_order=order, status=DeviceStatus.SOLD_ONLINE)
        if shipped != len(serials):
            raise InventoryChanged(f"order {number}: a device was taken meanwhile")
    audit_record(action=AuditAction.INVENTORY_IMPORTED, data={"kind": "orders", **report.counts})
    return report


def _shipment_row(row: Row, *, report: ImportReport) -> _Shipment | None:
    before = len(report.rejections)
    number = row["order_number"]
    if not number:
        report.reject(row.line, "order_number", "the order number is missing")
    elif len(number) > ORDER_NUMBER_MAX_LENGTH or not number.isprintable():
        report.reject(
            row.line,
            "order_number",
            f"an order number is at most {ORDER_NUMBER_MAX_LENGTH} printable characters",
        )

    email = row["email"].lower()
    if not email:
        report.reject(row.line, "email", "the buyer's email is missing")
    else:
        try:
            validate_email(email)
        except ValidationError:
            report.reject(row.line, "email", f"{row['email']!r} is not an email address")

    serial = serial_normalize(row["serial"])
    if problem := _serial_problem(serial):
        report.reject(row.line, "serial", problem)

    ordered_at = None
    if row["ordered_at"]:
        try:
            ordered_at = _parse_ordered_at(row["ordered_at"])
        except ValueError:
            report.reject(
                row.line,
                "ordered_at",
                f"{row['ordered_at']!r} is not an ISO date (e.g. 2025-03-14 "
                "or 2025-03-14T09:30:00Z)",
            )
    if len(report.rejections) > before:
        return None
    return _Shipment(row.line, number, email, serial, ordered_at)


def _parse_ordered_at(text: str) -> datetime:
    """An ISO date (midnight UTC) or date and time (UTC unless it says otherwise)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _order_rows_disagree(first: _Shipment, shipment: _Shipment, *, report: ImportReport) -> bool:
    """Rows of one order must agree on its email (and date, when both give one)."""
    if shipment.email != first.email:
        report.reject(
            shipment.line,
            "email",
            f"order {shipment.order_number} is for {first.email} on line {first.line}: "
            "an order has one buyer",
        )
        return True
    if first.ordered_at and shipment.ordered_at and first.ordered_at != shipment.ordered_at:
        report.reject(
            shipment.line,
            "ordered_at",
            f"order {shipment.order_number} has another date on line {first.line}",
        )
        return True
    return False


def _order_on_file_disagrees(order: WebOrder, shipment: _Shipment, *, report: ImportReport) -> bool:
    if order.email.lower() != shipment.email:
        report.reject(
            shipment.line,
            "email",
            f"order {order.number} is already on file for {order.email}",
        )
        return True
    if order.ordered_at and shipment.ordered_at and order.ordered_at != shipment.ordered_at:
        report.reject(
            shipment.line,
            "ordered_at",
            f"order {order.number} is already on file with another date "
            f"({order.ordered_at.isoformat()})",
        )
        return True
    return False


def device_numbers_in_use(numbers: Collection[str]) -> set[str]:
    """Which of these numbers are a device's service number (for the number import)."""
    used: set[str] = set()
    for batch in in_batches(numbers):
        used.update(
            number
            for number in Device.objects.filter(phone_number__in=batch).values_list(
                "phone_number", flat=True
            )
            if number
        )
    return used
