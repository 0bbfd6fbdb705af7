# ruff: noqa: RUF001 -- French text uses the typographic apostrophe
""" "Calling rates": by country in the reader's language or by a number in any format."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plugline.rates import selectors
from plugline.rates.tests.factories import make_rate

pytestmark = pytest.mark.django_db

PAGE = "/rates/"


def get(client: Client, query: str, *, language: str = "en", status: int = 200) -> str:
    client.cookies["plugline_language"] = language
    response = client.get(PAGE + query)
    assert response.status_code == status, response.status_code
    return response.content.decode()


def text(page: str) -> str:
    """The page's main content as a reader reads it: no tags, one space between words."""
    main = page[page.index("<main") : page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


@pytest.fixture
def deck() -> None:
    make_rate(
        "44",
        destination="United Kingdom",
        destination_fr="Royaume-Uni",
        destination_da="Storbritannien",
        price_per_minute=2,
    )
    make_rate(
        "4420",
        destination="United Kingdom - London",
        destination_fr="Royaume-Uni - Londres",
        destination_da="Storbritannien - London",
        price_per_minute=1,
    )
    make_rate(
        "639",
        destination="Philippines - Mobile",
        destination_fr="Philippines - Mobile",
        destination_da="Filippinerne - Mobil",
        price_per_minute=18,
        connection_fee=10,
        increments=(30, 6),
    )
    make_rate("45", destination="Denmark", destination_da="Danmark", increments=(1, 1))


def test_it_links_the_page_from_every_pages_footer(client: Client):
    page = get(client, "", language="en")
    assert '<a href="/rates/">Calling rates</a>' in page
    assert '<a href="/rates/">Tarifs d’appel</a>' in get(client, "", language="fr")
    assert '<a href="/rates/">Opkaldspriser</a>' in get(client, "", language="da")


@pytest.mark.parametrize(
    "typed",
    ["+44 20 7946 0018", "011 44 20 7946 0018", "0044 20 7946 0018", "+44 (0)20 7946-0018"],
)
def test_it_finds_the_rate_of_a_number_in_any_format(client: Client, deck: None, typed: str):
    shown = text(get(client, "?" + urlencode({"q": typed})))
    assert "Calls to +44 20 7946 0018" in shown
    assert "United Kingdom - London +4420 Per minute $0.01 Connection fee None" in shown
    assert "Billed per minute" in shown
    assert "United Kingdom +44 " not in shown  # only the longest prefix's rate


def test_it_shows_prices_and_increments_in_the_readers_language(client: Client, deck: None):
    query = "?q=%2B63+917+123+4567"
    english = text(get(client, query))
    assert (
        "Philippines - Mobile +639 Per minute $0.18 Connection fee $0.10 "
        "Billing Minimum 30 seconds, then in steps of 6 seconds"
    ) in english
    french = text(get(client, query, language="fr"))
    assert "Par minute 0,18 $ US Frais de connexion 0,10 $ US" in french
    assert "Minimum 30 secondes, puis par tranches de 6 secondes" in french
    danish = text(get(client, query, language="da"))
    assert "Filippinerne - Mobil +639 Pr. minut 0,18 USD Opkaldsafgift 0,10 USD" in danish
    assert "Mindst 30 sekunder, derefter i intervaller på 6 sekunder" in danish


@pytest.mark.parametrize(
    ("language", "query", "country", "destinations"),
    [
        ("en", "United Kingdom", "United Kingdom", ["United Kingdom", "United Kingdom - London"]),
        ("fr", "royaume uni", "Royaume-Uni", ["Royaume-Uni", "Royaume-Uni - Londres"]),
        ("da", "Storbritannien", "Storbritannien", ["Storbritannien", "Storbritannien - London"]),
        # English names are understood on every page.
        ("fr", "Denmark", "Danemark", ["Denmark"]),
        ("da", "danm", "Danmark", ["Danmark"]),
    ],
)
def test_it_finds_a_countrys_rates_by_its_name_in_the_readers_language(
    client: Client, deck: None, language: str, query: str, country: str, destinations: list[str]
):
    page = get(client, f"?q={query}", language=language)
    assert re.findall(r"<h2>([^<]*)</h2>", page) == [country]
    found = [
        html.unescape(name).strip()
        for name in re.findall(r'class="rate-destination">([^<]*)<', page)
    ]
    assert found == destinations


@pytest.mark.parametrize(
    ("language", "query", "free"),
    [
        ("en", "?q=(212)+555-0147", "Free: calls to numbers starting with +1"),
        ("en", "?q=Canada", "Free: calls to numbers starting with +1"),
        ("fr", "?q=%2B1+416+555+0148", "Gratuit : les appels vers les numéros commençant par +1"),
        ("da", "?q=USA", "Gratis: opkald til numre, der begynder med +1"),
    ],
)
def test_it_says_calls_to_the_us_and_canada_are_free(
    client: Client, deck: None, language: str, query: str, free: str
):
    page = get(client, query, language=language)
    assert free in text(page)
    assert 'class="rate-price"' not in page


@pytest.mark.parametrize(
    ("language", "query", "status", "message"),
    [
        ("en", "?q=", 400, "Type a country or a phone number."),
        ("fr", "?q=", 400, "Saisissez un pays ou un numéro de téléphone."),
        ("da", "?q=", 400, "Skriv et land eller et telefonnummer."),
        (
            "en",
            "?q=%2B44+12",
            400,
            "“+44 12” is not a phone number we can read. Write it with its country code, "
            "like +44 20 7946 0018.",
        ),
        (
            "fr",
            "?q=%2B44+12",
            400,
            "« +44 12 » n’est pas un numéro de téléphone que nous savons lire.",
        ),
        ("da", "?q=%2B44+12", 400, "»+44 12« er ikke et telefonnummer, vi kan læse."),
        (
            "en",
            "?q=Xyzzyland",
            200,
            "We found no country called “Xyzzyland”. Check the spelling, or type a phone "
            "number with its country code.",
        ),
        ("fr", "?q=Xyzzyland", 200, "Nous n’avons trouvé aucun pays nommé « Xyzzyland »."),
        ("da", "?q=Xyzzyland", 200, "Vi fandt intet land ved navn »Xyzzyland«."),
        (
            "en",
            "?q=%2B49+30+123456",
            200,
            "We have no rate for this number: calls to it cannot be made from your line.",
        ),
        (
            "en",
            "?q=Germany",
            200,
            "We have no rates for Germany: calls there cannot be made from your line.",
        ),
        ("da", "?q=Tyskland", 200, "Vi har ingen priser for Tyskland"),
    ],
)
def test_it_explains_what_it_cannot_answer_in_the_readers_language(
    client: Client, deck: None, language: str, query: str, status: int, message: str
):
    page = text(get(client, query, language=language, status=status))
    assert message in page


def test_it_shows_only_the_rate_valid_now_for_each_prefix(client: Client):
    make_rate("33", destination="France", price_per_minute=5)
    make_rate(
        "33",
        destination="France",
        price_per_minute=3,
        valid_from=timezone.now() - dt.timedelta(days=1),
    )
    make_rate(
        "33",
        destination="France",
        price_per_minute=1,
        valid_from=timezone.now() + dt.timedelta(days=1),
    )
    page = get(client, "?q=France")
    assert re.findall(r'class="rate-price">([^<]*)<', page) == ["$0.03"]


def test_it_loads_a_country_with_as_many_queries_for_forty_prefixes_as_for_one(client: Client):
    make_rate("33", destination="France")
    make_rate("49", destination="Germany")

    def queries(query: str) -> int:
        client.get(PAGE + query)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE + query).status_code == 200
        return len(captured)

    one_each = queries("?q=France"), queries("?q=%2B33+1+23+45+67+89"), queries("?q=united")
    for n in range(40):
        make_rate(f"33{n + 10}", destination=f"France {n}")
        make_rate(f"44{n + 10}", destination=f"United Kingdom {n}")
    forty_each = queries("?q=France"), queries("?q=%2B33+1+23+45+67+89"), queries("?q=united")
    assert one_each == forty_each
    assert max(forty_each) <= 2


def test_it_says_when_a_country_has_more_destinations_than_the_page_shows(
    client: Client, monkeypatch: pytest.MonkeyPatch
):
    make_rate("33", destination="France")
    for n in range(5):
        make_rate(f"33{n + 10}", destination=f"France {n}")
    assert "Only the first destinations are shown." not in text(get(client, "?q=France"))
    monkeypatch.setattr(selectors, "COUNTRY_RATES_MAX", 3)
    page = get(client, "?q=France")
    assert len(re.findall(r'class="rate-destination"', page)) == 3
    assert "Only the first destinations are shown." in text(page)


def test_it_names_no_country_for_a_number_of_no_country(client: Client):
    make_rate("800", destination="International freephone")
    page = get(client, "?q=%2B800+1234+5678")
    assert "Calls to +800 1234 5678" in text(page)
    assert "International freephone +800" in text(page)
    assert '<p class="note">001</p>' not in page
    # A number in a country is followed by its name.
    assert '<p class="note">United Kingdom</p>' in get(client, "?q=%2B44+20+7946+0018")


def test_it_says_destinations_are_left_out_when_old_prices_fill_what_it_reads(
    client: Client, monkeypatch: pytest.MonkeyPatch
):
    # Twelve past prices of +33 fill what a search reads (four pages of 3): +3310 is left out.
    for month in range(1, 13):
        make_rate("33", destination="France", valid_from=dt.datetime(2020, month, 1, tzinfo=dt.UTC))
    make_rate("3310", destination="France 10")
    monkeypatch.setattr(selectors, "COUNTRY_RATES_MAX", 3)
    page = get(client, "?q=France")
    assert re.findall(r'class="rate-destination">([^<]*)<', page) == ["France "]
    assert "Only the first destinations are shown." in text(page)
