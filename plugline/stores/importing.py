"""The chains' store lists into the store locator (`manage.py import_stores FILE`).

Like the inventory imports (plugline.core.csv_import), the whole file is
checked row by row, every problem is reported with its line, and nothing
is written unless every row is good, in one transaction. A store is known
by its chain and the chain's store number: importing a newer list of the
same chain updates the stores already there (and leaves the ones it does
not name as they are; a row with active "no" takes a store off the
locator). Chains are created as the file names them.

Writes are bulk (10,000 rows in a few seconds); `postal_code_key`, which
Store.save() would compute, is set here because bulk writes skip save().
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from plugline.core.csv_import import ImportReport, Row, csv_rows, in_batches
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.stores.hours import HoursError, hours_parse
from plugline.stores.models import RetailChain, Store, postal_code_key

REQUIRED_COLUMNS = (
    "chain_code",
    "store_number",
    "name",
    "address",
    "city",
    "postal_code",
    "country",
    "latitude",
    "longitude",
)
OPTIONAL_COLUMNS = (
    "chain_name",
    "address_line2",
    "region",
    "phone",
    "opening_hours",
    "sells_devices",
    "sells_reup_cards",
    "active",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

CHAIN_CODE = re.compile(r"[a-z0-9][a-z0-9_-]*")
COUNTRY = re.compile(r"[A-Z]{2}")
# How each country writes its postal codes (others: letters, digits, spaces and dashes).
POSTAL_CODES = {
    "US": (re.compile(r"\d{5}(-\d{4})?"), "a ZIP code like 10001 or 10001-1234"),
    "CA": (re.compile(r"[A-Z]\d[A-Z] ?\d[A-Z]\d"), "a postal code like H2X 1Y4"),
    "DK": (re.compile(r"\d{4}"), "a postal code of 4 digits like 2100"),
}
OTHER_POSTAL_CODE = re.compile(r"[A-Z0-9][A-Z0-9 -]*")
PHONE = re.compile(r"[0-9+()./ -]*")
YES = ("yes", "y", "true", "1", "oui", "ja")
NO = ("no", "n", "false", "0", "non", "nej", "")
# The text columns and the Store fields they fill, with the longest value each takes.
TEXT_COLUMNS = {
    "store_number": ("external_id", 60),
    "name": ("name", 120),
    "address": ("address_line1", 200),
    "address_line2": ("address_line2", 200),
    "city": ("city", 100),
    "region": ("region", 100),
    "phone": ("phone", 30),
}
CHAIN_NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class _StoreRow:
    """A good row: the store's values as they will be written."""

    line: int
    chain_code: str
    chain_name: str
    external_id: str
    name: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    latitude: float
    longitude: float
    phone: str
    opening_hours: str
    sells_devices: bool
    sells_reup_cards: bool
    active: bool


# The Store fields an import writes (all of _StoreRow's but the line and chain).
STORE_FIELDS = tuple(
    f.name for f in fields(_StoreRow) if f.name not in ("line", "chain_code", "chain_name")
)


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


@transaction.atomic
def stores_import(*, data: bytes | str, dry_run: bool = False) -> ImportReport:
    """Add or update the stores in a CSV file (columns: COLUMNS, see the README)."""
    report = ImportReport(kind="stores", dry_run=dry_run)
    rows = csv_rows(data, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, report=report)
    good: list[_StoreRow] = []
    store_lines: dict[tuple[str, str], int] = {}
    chain_names: dict[str, tuple[str, int]] = {}
    for row in rows:
        checked = _store_row(row, report=report)
        # Every row that names its chain must name it alike, good row or not.
        code, name = row["chain_code"].lower(), row["chain_name"]
        if code and name:
            named = chain_names.setdefault(code, (name, row.line))
            if named[0] != name:
                report.reject(
                    row.line, "chain_name", f"{code} is named {named[0]!r} on line {named[1]}"
                )
                continue
        if checked is None:
            continue
        key = (checked.chain_code, checked.external_id)
        if key in store_lines:
            report.reject(
                row.line,
                "store_number",
                f"store {checked.external_id} of {checked.chain_code} is already on line "
                f"{store_lines[key]}",
            )
            continue
        store_lines[key] = row.line
        good.append(checked)

    chains: dict[str, RetailChain] = {}
    for batch in in_batches({store.chain_code for store in good}):
        chains.update((c.code, c) for c in RetailChain.objects.filter(code__in=batch))
    new_chains = sorted({store.chain_code for store in good} - set(chains))
    for code in new_chains:
        if code not in chain_names:
            first = min(store.line for store in good if store.chain_code == code)
            report.reject(
                first,
                "chain_name",
                f"{code} is a new chain: give its name (on this line or another of its lines)",
            )
    renamed = [
        chains[code]
        for code, (name, _line) in chain_names.items()
        if code in chains and chains[code].name != name
    ]

    codes_by_id = {chain.pk: code for code, chain in chains.items()}
    existing: dict[tuple[str, str], Store] = {}
    for batch in in_batches(chains):
        for store in Store.objects.select_for_update().filter(chain__code__in=batch):
            existing[(codes_by_id[store.chain_id], store.external_id)] = store
    created: list[_StoreRow] = []
    updated: list[Store] = []
    unchanged = 0
    for candidate in good:
        known = existing.get((candidate.chain_code, candidate.external_id))
        if known is None:
            created.append(candidate)
        elif _store_update(known, candidate):
            updated.append(known)
        else:
            unchanged += 1

    report.counts = {
        "chains_created": len(new_chains),
        "chains_renamed": len(renamed),
        "created": len(created),
        "updated": len(updated),
        "unchanged": unchanged,
    }
    report.summary = (
        "; ".join(
            part
            for part in (
                _plural(len(new_chains), "new chain", "new chains") if new_chains else "",
                _plural(len(renamed), "chain renamed", "chains renamed") if renamed else "",
                _plural(len(created), "new store", "new stores") if created else "",
                _plural(len(updated), "store updated", "stores updated") if updated else "",
                f"{unchanged} unchanged" if unchanged else "",
            )
            if part
        )
        or "nothing to import"
    )
    if not report.written:
        return report

    for code in new_chains:
        chains[code] = RetailChain.objects.create(code=code, name=chain_names[code][0])
    for chain in renamed:
        chain.name = chain_names[chain.code][0]
        chain.save(update_fields=["name"])
    Store.objects.bulk_create(
        (
            Store(
                chain=chains[row.chain_code],
                postal_code_key=postal_code_key(row.postal_code),
                **{name: getattr(row, name) for name in STORE_FIELDS},
            )
            for row in created
        ),
        batch_size=1000,
    )
    Store.objects.bulk_update(
        updated, [*STORE_FIELDS, "postal_code_key", "updated_at"], batch_size=1000
    )
    audit_record(action=AuditAction.STORES_IMPORTED, data=report.counts)
    return report


def _store_update(store: Store, row: _StoreRow) -> bool:
    """Give `store` the row's values; whether anything changed."""
    changed = False
    for name in STORE_FIELDS:
        if getattr(store, name) != getattr(row, name):
            setattr(store, name, getattr(row, name))
            changed = True
    if changed:
        store.postal_code_key = postal_code_key(store.postal_code)
        store.updated_at = timezone.now()
    return changed


def _store_row(row: Row, *, report: ImportReport) -> _StoreRow | None:
    """The store a row describes, or None with each of its problems reported."""
    before = len(report.rejections)

    def reject(column: str, reason: str) -> None:
        report.reject(row.line, column, reason)

    chain_code = row["chain_code"].lower()
    if not chain_code:
        reject("chain_code", "the chain code is missing")
    elif len(chain_code) > 40 or not CHAIN_CODE.fullmatch(chain_code):
        reject(
            "chain_code",
            "a chain code is up to 40 letters, digits, dashes and underscores (e.g. cornermart)",
        )
    chain_name = row["chain_name"]
    if len(chain_name) > CHAIN_NAME_MAX_LENGTH:
        reject("chain_name", f"a chain name has at most {CHAIN_NAME_MAX_LENGTH} characters")

    texts: dict[str, str] = {}
    for column, (field_name, max_length) in TEXT_COLUMNS.items():
        value = " ".join(row[column].split())
        if not value and column in REQUIRED_COLUMNS:
            reject(column, f"the {column.replace('_', ' ')} is missing")
        elif len(value) > max_length:
            reject(column, f"at most {max_length} characters")
        texts[field_name] = value
    if texts["phone"] and not PHONE.fullmatch(texts["phone"]):
        reject("phone", "a phone number has digits, spaces and + ( ) - . / only")

    country = row["country"].upper()
    if not COUNTRY.fullmatch(country):
        reject("country", "the country is its 2-letter ISO code (US, CA, DK)")

    postal_code = " ".join(row["postal_code"].upper().split())
    postal_format = POSTAL_CODES.get(country)
    if not postal_code:
        reject("postal_code", "the postal code is missing")
    elif postal_format is not None and not postal_format[0].fullmatch(postal_code):
        reject("postal_code", f"{postal_code!r} is not {postal_format[1]}")
    elif len(postal_code) > 20 or not OTHER_POSTAL_CODE.fullmatch(postal_code):
        reject("postal_code", f"{postal_code!r} is not a postal code")
    if country == "CA" and len(postal_code) == 6:
        postal_code = f"{postal_code[:3]} {postal_code[3:]}"

    latitude = _coordinate(row, "latitude", 90, report)
    longitude = _coordinate(row, "longitude", 180, report)

    opening_hours = " ".join(row["opening_hours"].split())
    try:
        hours_parse(opening_hours)
    except HoursError as error:
        reject("opening_hours", f"{error} (e.g. Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off)")

    flags = {
        column: _yes_no(row, column, report, default=column == "active")
        for column in ("sells_devices", "sells_reup_cards", "active")
    }

    if len(report.rejections) > before or latitude is None or longitude is None:
        return None
    return _StoreRow(
        line=row.line,
        chain_code=chain_code,
        chain_name=chain_name,
        postal_code=postal_code,
        country=country,
        latitude=latitude,
        longitude=longitude,
        opening_hours=opening_hours,
        sells_devices=bool(flags["sells_devices"]),
        sells_reup_cards=bool(flags["sells_reup_cards"]),
        active=bool(flags["active"]),
        external_id=texts["external_id"],
        name=texts["name"],
        address_line1=texts["address_line1"],
        address_line2=texts["address_line2"],
        city=texts["city"],
        region=texts["region"],
        phone=texts["phone"],
    )


def _coordinate(row: Row, column: str, bound: int, report: ImportReport) -> float | None:
    text = row[column].replace(",", ".") if row[column].count(",") == 1 else row[column]
    if not text:
        report.reject(row.line, column, f"the {column} is missing")
        return None
    try:
        value = float(text)
    except ValueError:
        report.reject(row.line, column, f"{row[column]!r} is not a number (e.g. 45.5017)")
        return None
    if not math.isfinite(value) or not -bound <= value <= bound:
        report.reject(row.line, column, f"{column} must be between -{bound} and {bound}")
        return None
    return value


def _yes_no(row: Row, column: str, report: ImportReport, *, default: bool) -> bool | None:
    value = row[column].lower()
    if not value:
        return default
    if value in YES:
        return True
    if value in NO:
        return False
    report.reject(row.line, column, f"{row[column]!r} is not yes or no")
    return None


DEMO_STORES = Path(__file__).resolve().parent / "data" / "demo_stores.csv"


def demo_stores_import() -> ImportReport:
    """The demo's stores (data/demo_stores.csv), as an operator would import them.

    Running it again changes nothing. The file is the project's own, so a
    rejected row is a bug: it raises ValueError with the problems.
    """
    report = stores_import(data=DEMO_STORES.read_bytes())
    if report.rejections:
        problems = "\n".join(str(rejection) for rejection in report.rejections)
        raise ValueError(f"{DEMO_STORES.name} does not import:\n{problems}")
    return report
