"""Rebuild demo_stores.csv, the demo's store list (a script, not a test).

    .venv/bin/python plugline/stores/data/build_demo_stores.py

Makes the same file every time (a fixed random seed): about 360 made-up
stores of five made-up chains across the US, Canada and Denmark, in the
import's CSV format (see the README, "Stores"). Each area below is a city
of the bundled city list with a few real postal codes and roughly where
they are; its stores stand within a kilometre or so of those points, with
those postal codes, so that searching the city or one of the codes finds
them. The script checks that every point is near its city as the bundled
list places it (a typo in a coordinate fails the build).

The demo searches documented in the README: "Montréal", "Copenhagen",
ZIP code 10001 (New York) and 60601 (Chicago), H2X 1Y4, 2100.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from plugline.stores.folding import name_fold  # noqa: E402

OUTPUT = HERE / "demo_stores.csv"
CITIES = HERE / "cities.tsv.gz"
SEED = 6
# How far a postal code's point may be from its city's centre in the city list.
NEAR_KM = 30.0
COLUMNS = (
    "chain_code",
    "chain_name",
    "store_number",
    "name",
    "address",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "phone",
    "opening_hours",
    "sells_devices",
    "sells_reup_cards",
)
CHAINS = {
    "cornermart": "CornerMart",
    "depanneur-express": "Dépanneur Express",
    "kiosk24": "Kiosk 24",
    "maple-market": "Maple Market",
    "naerbutik": "Nærbutikken",
}
HOURS = (
    "Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off",
    "Mo-Su 07:00-23:00",
    "24/7",
    "Mo-Sa 08:00-22:00; Su 10:00-18:00",
    "Mo-Fr 07:00-19:00; Sa-Su 09:00-17:00",
    "Mo-Th 09:00-20:00; Fr 09:00-21:00; Sa 10:00-17:00; Su 11:00-16:00",
)


@dataclass(frozen=True)
class Area:
    city: str  # as the bundled city list names it
    country: str
    region: str
    chains: tuple[str, ...]
    stores: int
    # (postal code or Canadian FSA, latitude, longitude)
    points: tuple[tuple[str, float, float], ...]
    streets: tuple[str, ...]
    phone_prefix: str = ""  # "+1 514 555 01": the rest is two digits (fictional 555-01xx)


AREAS = (
    # United States
    Area(
        "New York City",
        "US",
        "NY",
        ("cornermart", "kiosk24"),
        50,
        (
            ("10001", 40.7506, -73.9972),
            ("10002", 40.7157, -73.9863),
            ("10003", 40.7318, -73.9893),
            ("10011", 40.7403, -74.0005),
            ("10012", 40.7255, -73.9983),
            ("10016", 40.7459, -73.9781),
            ("10019", 40.7654, -73.9855),
            ("10025", 40.7985, -73.9684),
            ("11201", 40.6945, -73.9900),
            ("11211", 40.7123, -73.9533),
        ),
        ("Broadway", "8th Avenue", "W 23rd Street", "Bowery", "Lexington Avenue", "Bedford Ave"),
        "+1 212 555 01",
    ),
    Area(
        "Chicago",
        "US",
        "IL",
        ("cornermart", "kiosk24"),
        30,
        (
            ("60601", 41.8858, -87.6229),
            ("60602", 41.8830, -87.6292),
            ("60605", 41.8673, -87.6173),
            ("60607", 41.8737, -87.6508),
            ("60610", 41.9036, -87.6340),
            ("60614", 41.9227, -87.6533),
            ("60616", 41.8447, -87.6251),
        ),
        ("N State Street", "W Madison Street", "S Michigan Avenue", "N Clark Street"),
        "+1 312 555 01",
    ),
    Area(
        "Boston",
        "US",
        "MA",
        ("cornermart",),
        8,
        (("02108", 42.3576, -71.0637), ("02116", 42.3495, -71.0764)),
        ("Tremont Street", "Boylston Street"),
        "+1 617 555 01",
    ),
    Area(
        "Philadelphia",
        "US",
        "PA",
        ("cornermart",),
        6,
        (("19103", 39.9528, -75.1733), ("19107", 39.9487, -75.1593)),
        ("Walnut Street", "Chestnut Street"),
        "+1 215 555 01",
    ),
    Area(
        "Washington",
        "US",
        "DC",
        ("cornermart", "kiosk24"),
        6,
        (("20001", 38.9109, -77.0163), ("20005", 38.9047, -77.0317)),
        ("K Street NW", "7th Street NW"),
        "+1 202 555 01",
    ),
    Area(
        "Atlanta",
        "US",
        "GA",
        ("cornermart",),
        5,
        (("30303", 33.7527, -84.3923),),
        ("Peachtree Street", "Marietta Street"),
        "+1 404 555 01",
    ),
    Area(
        "Miami",
        "US",
        "FL",
        ("cornermart",),
        5,
        (("33130", 25.7670, -80.2053), ("33131", 25.7664, -80.1890)),
        ("SW 8th Street", "Brickell Avenue"),
        "+1 305 555 01",
    ),
    Area(
        "Detroit",
        "US",
        "MI",
        ("cornermart",),
        4,
        (("48226", 42.3316, -83.0479),),
        ("Woodward Avenue",),
        "+1 313 555 01",
    ),
    Area(
        "Minneapolis",
        "US",
        "MN",
        ("cornermart",),
        4,
        (("55401", 44.9832, -93.2695),),
        ("Hennepin Avenue", "Nicollet Mall"),
        "+1 612 555 01",
    ),
    Area(
        "Houston",
        "US",
        "TX",
        ("cornermart",),
        6,
        (("77002", 29.7560, -95.3654),),
        ("Main Street", "Travis Street"),
        "+1 713 555 01",
    ),
    Area(
        "Denver",
        "US",
        "CO",
        ("cornermart",),
        4,
        (("80202", 39.7525, -104.9995),),
        ("16th Street", "Larimer Street"),
        "+1 303 555 01",
    ),
    Area(
        "Phoenix",
        "US",
        "AZ",
        ("cornermart",),
        4,
        (("85004", 33.4515, -112.0697),),
        ("N Central Avenue",),
        "+1 602 555 01",
    ),
    Area(
        "Los Angeles",
        "US",
        "CA",
        ("cornermart", "kiosk24"),
        10,
        (("90012", 34.0614, -118.2385), ("90028", 34.1003, -118.3254)),
        ("W Sunset Boulevard", "N Broadway", "Hollywood Boulevard"),
        "+1 213 555 01",
    ),
    Area(
        "San Francisco",
        "US",
        "CA",
        ("cornermart", "kiosk24"),
        8,
        (("94103", 37.7725, -122.4147), ("94110", 37.7485, -122.4156)),
        ("Mission Street", "Valencia Street", "Market Street"),
        "+1 415 555 01",
    ),
    Area(
        "Seattle",
        "US",
        "WA",
        ("cornermart",),
        6,
        (("98101", 47.6114, -122.3305), ("98109", 47.6304, -122.3443)),
        ("Pike Street", "Westlake Avenue N"),
        "+1 206 555 01",
    ),
    Area(
        "Portland",
        "US",
        "OR",
        ("cornermart",),
        4,
        (("97205", 45.5206, -122.6874),),
        ("SW Morrison Street",),
        "+1 503 555 01",
    ),
    # Canada
    Area(
        "Montréal",
        "CA",
        "QC",
        ("depanneur-express", "cornermart"),
        40,
        (
            ("H2X", 45.5128, -73.5665),
            ("H2W", 45.5196, -73.5842),
            ("H2J", 45.5275, -73.5810),
            ("H3B", 45.5017, -73.5673),
            ("H3A", 45.5048, -73.5772),
            ("H2T", 45.5239, -73.5968),
            ("H1V", 45.5520, -73.5427),
            ("H4A", 45.4730, -73.6130),
        ),
        ("rue Saint-Denis", "boulevard Saint-Laurent", "avenue du Mont-Royal", "rue Ontario Est"),
        "+1 514 555 01",
    ),
    Area(
        "Laval",
        "CA",
        "QC",
        ("depanneur-express",),
        6,
        (("H7N", 45.5610, -73.7120),),
        ("boulevard des Laurentides", "boulevard Cartier Ouest"),
        "+1 450 555 01",
    ),
    Area(
        "Longueuil",
        "CA",
        "QC",
        ("depanneur-express",),
        5,
        (("J4K", 45.5380, -73.5110),),
        ("rue Saint-Charles Ouest", "chemin de Chambly"),
        "+1 450 555 02",
    ),
    Area(
        "Québec",
        "CA",
        "QC",
        ("depanneur-express", "cornermart"),
        8,
        (("G1R", 46.8122, -71.2145), ("G1K", 46.8150, -71.2250)),
        ("rue Saint-Jean", "rue Saint-Joseph Est"),
        "+1 418 555 01",
    ),
    Area(
        "Lévis",
        "CA",
        "QC",
        ("depanneur-express",),
        4,
        (("G6V", 46.8032, -71.1779),),
        ("route du Président-Kennedy",),
        "+1 418 555 02",
    ),
    Area(
        "Toronto",
        "CA",
        "ON",
        ("maple-market", "cornermart"),
        25,
        (
            ("M5V", 43.6426, -79.3871),
            ("M5B", 43.6564, -79.3791),
            ("M4Y", 43.6658, -79.3832),
            ("M6J", 43.6479, -79.4197),
        ),
        ("Queen Street West", "Yonge Street", "King Street West", "Dundas Street West"),
        "+1 416 555 01",
    ),
    Area(
        "Ottawa",
        "CA",
        "ON",
        ("maple-market", "cornermart"),
        8,
        (("K1P", 45.4215, -75.6972), ("K1N", 45.4290, -75.6900)),
        ("Bank Street", "Rideau Street"),
        "+1 613 555 01",
    ),
    Area(
        "Vancouver",
        "CA",
        "BC",
        ("maple-market",),
        10,
        (("V6B", 49.2800, -123.1150), ("V5T", 49.2630, -123.1000)),
        ("Granville Street", "Main Street"),
        "+1 604 555 01",
    ),
    Area(
        "Calgary",
        "CA",
        "AB",
        ("maple-market",),
        6,
        (("T2P", 51.0478, -114.0593),),
        ("Stephen Avenue", "Centre Street"),
        "+1 403 555 01",
    ),
    # Denmark
    Area(
        "Copenhagen",
        "DK",
        "Hovedstaden",
        ("kiosk24", "naerbutik"),
        45,
        (
            ("1050", 55.6794, 12.5850),
            ("1620", 55.6720, 12.5550),
            ("2100", 55.7090, 12.5770),
            ("2200", 55.6950, 12.5450),
            ("2300", 55.6610, 12.6000),
            ("2400", 55.7100, 12.5300),
            ("2500", 55.6600, 12.5150),
        ),
        ("Nørrebrogade", "Østerbrogade", "Vesterbrogade", "Amagerbrogade", "Strøget"),
    ),
    Area(
        "Frederiksberg",
        "DK",
        "Hovedstaden",
        ("kiosk24", "naerbutik"),
        6,
        (("2000", 55.6780, 12.5320),),
        ("Gammel Kongevej", "Falkoner Allé"),
    ),
    Area(
        "Aarhus",
        "DK",
        "Midtjylland",
        ("kiosk24", "naerbutik"),
        10,
        (("8000", 56.1572, 10.2107),),
        ("Søndergade", "Frederiksgade"),
    ),
    Area(
        "Odense",
        "DK",
        "Syddanmark",
        ("kiosk24",),
        8,
        (("5000", 55.3959, 10.3883),),
        ("Vestergade", "Kongensgade"),
    ),
    Area(
        "Aalborg",
        "DK",
        "Nordjylland",
        ("kiosk24", "naerbutik"),
        6,
        (("9000", 57.0480, 9.9187),),
        ("Algade", "Bispensgade"),
    ),
    Area(
        "Roskilde",
        "DK",
        "Sjælland",
        ("naerbutik",),
        4,
        (("4000", 55.6415, 12.0803),),
        ("Algade", "Skomagergade"),
    ),
    Area(
        "Esbjerg",
        "DK",
        "Syddanmark",
        ("kiosk24",),
        3,
        (("6700", 55.4765, 8.4594),),
        ("Kongensgade",),
    ),
    Area(
        "Vejle",
        "DK",
        "Syddanmark",
        ("naerbutik",),
        3,
        (("7100", 55.7093, 9.5357),),
        ("Søndergade",),
    ),
    Area(
        "Helsingør",
        "DK",
        "Hovedstaden",
        ("kiosk24",),
        3,
        (("3000", 56.0361, 12.6136),),
        ("Stengade",),
    ),
)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def bundled_cities() -> dict[tuple[str, str, str], tuple[float, float]]:
    """(folded name, country, region) -> (latitude, longitude) from the bundled city list."""
    cities: dict[tuple[str, str, str], tuple[float, float]] = {}
    with gzip.open(CITIES, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            _id, name, _alt, country, region, lat, lon, _population = line.split("\t")
            cities.setdefault((name_fold(name), country, region), (float(lat), float(lon)))
    return cities


def area_check(area: Area, cities: dict[tuple[str, str, str], tuple[float, float]]) -> None:
    centre = cities.get((name_fold(area.city), area.country, area.region))
    if centre is None:
        raise SystemExit(f"{area.city} ({area.region}, {area.country}) is not in {CITIES.name}")
    for code, lat, lon in area.points:
        away = distance_km(lat, lon, *centre)
        if away > NEAR_KM:
            raise SystemExit(f"{code} is {away:.0f} km from {area.city}: check its coordinates")


def postal_code(area: Area, point: str, rng: random.Random) -> str:
    if area.country == "CA":  # An FSA: the rest of the code is made up.
        letters = "ABCEGHJKLMNPRSTVWXYZ"
        return f"{point} {rng.randint(0, 9)}{rng.choice(letters)}{rng.randint(0, 9)}"
    return point


def stores(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    numbers: dict[str, int] = dict.fromkeys(CHAINS, 100)
    for area in AREAS:
        for n in range(area.stores):
            chain = area.chains[n % len(area.chains)]
            numbers[chain] += 1
            code, lat, lon = area.points[n % len(area.points)]
            street = rng.choice(area.streets)
            house = rng.randint(1, 400)
            sells_devices = rng.random() < 0.45
            sells_reup_cards = not sells_devices or rng.random() < 0.8
            city = area.city if area.city != "New York City" else "New York"
            if area.country == "DK":
                address = f"{street} {house}"
                city = {"Copenhagen": "København"}.get(city, city)
            else:
                address = f"{house} {street}"
            rows.append(
                {
                    "chain_code": chain,
                    "chain_name": CHAINS[chain],
                    "store_number": f"{area.country}-{numbers[chain]}",
                    "name": f"{CHAINS[chain]} {street}",
                    "address": address,
                    "address_line2": "",
                    "city": city,
                    "region": area.region if area.country != "DK" else "",
                    "postal_code": postal_code(area, code, rng),
                    "country": area.country,
                    # Within about a kilometre of the postal code's point.
                    "latitude": f"{lat + rng.uniform(-0.008, 0.008):.5f}",
                    "longitude": f"{lon + rng.uniform(-0.011, 0.011):.5f}",
                    "phone": (
                        f"{area.phone_prefix}{rng.randint(0, 99):02d}" if area.phone_prefix else ""
                    ),
                    "opening_hours": rng.choice(HOURS),
                    "sells_devices": "yes" if sells_devices else "no",
                    "sells_reup_cards": "yes" if sells_reup_cards else "no",
                }
            )
    return rows


def main() -> None:
    cities = bundled_cities()
    for area in AREAS:
        area_check(area, cities)
    rows = stores(random.Random(SEED))  # noqa: S311 (made-up demo data, the same every time)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    OUTPUT.write_text(out.getvalue(), encoding="utf-8")
    print(f"{OUTPUT}: {len(rows)} stores")


if __name__ == "__main__":
    main()
