"""The operator's import of phone numbers into the number inventory.

The command `import_numbers` is thin; the rules are here. Every row of the
file is checked (plugline.core.csv_import) and nothing is written unless all
of them are good, in one transaction. A number already in the inventory with
the same place counts as imported before, so running an import again is safe.

A number that a device already has (a line moved from another system) comes
in as assigned, not available: the apps that give out numbers tell this one
which numbers they use, with register_numbers_in_use_lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import phonenumbers
from django.db import transaction

from plugline.core.csv_import import ImportReport, Row, csv_rows, in_batches
from plugline.core.models import AuditAction
from plugline.core.phones import normalize_phone_number
from plugline.core.services import audit_record
from plugline.telephony.models import NumberStatus, PhoneNumber

NUMBER_COLUMNS = ("number", "city", "region")
NUMBER_OPTIONAL_COLUMNS = ("country",)
CITY_MAX_LENGTH = 80
REGION_MAX_LENGTH = 40

NumbersInUseLookup = Callable[[Collection[str]], set[str]]
_numbers_in_use_lookups: list[NumbersInUseLookup] = []


def register_numbers_in_use_lookup(lookup: NumbersInUseLookup) -> None:
    """Let an app above say which E.164 numbers it already uses (e.g. devices)."""
    if lookup not in _numbers_in_use_lookups:
        _numbers_in_use_lookups.append(lookup)


def numbers_in_use(numbers: Collection[str]) -> set[str]:
    used: set[str] = set()
    for lookup in _numbers_in_use_lookups:
        used |= lookup(numbers)
    return used


def area_code_for(e164: str) -> str:
    """The North American area code (NPA) of a +1 number; "" elsewhere."""
    return e164[2:5] if e164.startswith("+1") else ""


@dataclass(frozen=True)
class _NumberRow:
    line: int
    e164: str
    country: str
    city: str
    region: str


@transaction.atomic
def numbers_import(*, data: bytes | str, dry_run: bool = False) -> ImportReport:
    """Add the numbers in a CSV file (number, city, region[, country]) as available.

    Numbers may be written in any common format; without a country code they
    are read in the row's country, or DEFAULT_PHONE_REGION. A number already
    in the inventory for the same city, region and country is left as it is;
    for another place, the row is rejected.
    """
    report = ImportReport(kind="numbers", dry_run=dry_run)
    rows = csv_rows(data, required=NUMBER_COLUMNS, optional=NUMBER_OPTIONAL_COLUMNS, report=report)
    number_lines: dict[str, int] = {}
    candidates: list[_NumberRow] = []
    for row in rows:
        candidate = _number_row(row, report=report)
        if candidate is None:
            continue
        if candidate.e164 in number_lines:
            report.reject(
                row.line,
                "number",
                f"{candidate.e164} is already on line {number_lines[candidate.e164]}",
            )
            continue
        number_lines[candidate.e164] = row.line
        candidates.append(candidate)

    existing: dict[str, PhoneNumber] = {}
    for batch in in_batches(number_lines):
        existing.update((n.e164, n) for n in PhoneNumber.objects.filter(e164__in=batch))
    new: list[_NumberRow] = []
    unchanged = 0
    for candidate in candidates:
        known = existing.get(candidate.e164)
        if known is None:
            new.append(candidate)
        elif (known.city, known.region, known.country) == (
            candidate.city,
            candidate.region,
            candidate.country,
        ):
            unchanged += 1
        else:
            place = ", ".join(part for part in (known.city, known.region, known.country) if part)
            report.reject(
                candidate.line,
                "number",
                f"{candidate.e164} is already in the inventory for {place} "
                "(an import does not change existing numbers)",
            )
    in_use = numbers_in_use([row.e164 for row in new]) if new else set()

    report.counts = {"imported": len(new), "assigned": len(in_use), "unchanged": unchanged}
    assigned = f" ({len(in_use)} of them already a device's number, so assigned)" if in_use else ""
    report.summary = (
        "; ".join(
            part
            for part in (
                f"{len(new)} new {'number' if len(new) == 1 else 'numbers'}{assigned}"
                if new
                else "",
                f"{unchanged} already in the inventory, left as they were" if unchanged else "",
            )
            if part
        )
        or "nothing to import"
    )
    if not report.written:
        return report
    PhoneNumber.objects.bulk_create(
        PhoneNumber(
            e164=row.e164,
            country=row.country,
            area_code=area_code_for(row.e164),
            city=row.city,
            region=row.region,
            status=NumberStatus.ASSIGNED if row.e164 in in_use else NumberStatus.AVAILABLE,
        )
        for row in new
    )
    audit_record(action=AuditAction.INVENTORY_IMPORTED, data={"kind": "numbers", **report.counts})
    return report


def _number_row(row: Row, *, report: ImportReport) -> _NumberRow | None:
    """The number a row describes, or None with each of its problems reported."""
    before = len(report.rejections)
    country = row["country"].upper()
    if country and country not in phonenumbers.SUPPORTED_REGIONS:
        report.reject(
            row.line, "country", f"{row['country']!r} is not a two-letter country code (e.g. US)"
        )
        country = ""

    e164 = None
    if not row["number"]:
        report.reject(row.line, "number", "the number is missing")
    else:
        e164 = normalize_phone_number(row["number"], region=country or None)
        if e164 is None:
            where = f" in {country}" if country else ""
            report.reject(row.line, "number", f"{row['number']!r} is not a phone number{where}")
    if e164 is not None:
        number_country = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
        if not number_country or len(number_country) != 2:
            report.reject(row.line, "number", f"{e164} is not a number of one country")
        elif country and country != number_country:
            report.reject(row.line, "country", f"{e164} is a number in {number_country}")
        country = country or number_country or ""

    if not row["city"]:
        report.reject(row.line, "city", "the city is missing")
    elif len(row["city"]) > CITY_MAX_LENGTH:
        report.reject(row.line, "city", f"a city has at most {CITY_MAX_LENGTH} characters")
    if len(row["region"]) > REGION_MAX_LENGTH:
        report.reject(row.line, "region", f"a region has at most {REGION_MAX_LENGTH} characters")

    if len(report.rejections) > before or e164 is None:
        return None
    return _NumberRow(row.line, e164, country, row["city"], row["region"])
