# ruff: noqa: RUF001 -- French text uses the typographic apostrophe
"""Search in the reader's language, on SQLite (FTS5) and on PostgreSQL (full-text search).

Run on both: `DATABASE_URL=postgres://... pytest plugline/helpcentre` for the second.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from plugline.helpcentre.search import RESULTS_MAX
from plugline.helpcentre.seeding import help_articles_seed
from plugline.helpcentre.services import article_translation_save
from plugline.helpcentre.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db: None) -> None:
    help_articles_seed()


def _search(client: Client, query: str, language: str = "en"):
    return client.get("/help/search/", {"q": query}, headers={"accept-language": language})


def _titles(response) -> list[str]:
    return [hit.translation.title for hit in response.context["hits"]]


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "The device does not start with the computer"),
        ("fr", "L’appareil ne démarre pas avec l’ordinateur"),
        ("da", "Enheden starter ikke sammen med computeren"),
    ],
)
def test_it_finds_the_usb_article_in_each_language(
    seeded: None, client: Client, language: str, title: str
):
    response = _search(client, "USB", language)
    assert response.status_code == 200
    assert title in _titles(response)
    # Only articles in the reader's language.
    assert {hit.translation.language for hit in response.context["hits"]} == {language}
    assert b"<mark>USB</mark>" in response.content


def test_it_ranks_the_usb_power_tip_first_for_usb_power(seeded: None, client: Client):
    response = _search(client, "USB power")
    assert _titles(response)[0] == "The device does not start with the computer"


def test_it_finds_telephone_without_its_accents_in_french(seeded: None, client: Client):
    response = _search(client, "telephone", "fr")
    assert "L’appareil ne démarre pas avec l’ordinateur" in _titles(response)
    assert "téléphone" in response.content.decode()


def test_it_finds_danish_words_typed_without_their_accents(seeded: None, client: Client):
    # "måske" (maybe) in the USB tip, typed without its ring.
    response = _search(client, "USB maske", "da")
    assert _titles(response) == ["Enheden starter ikke sammen med computeren"]
    assert "telefon" in _search(client, "telefon", "da").content.decode()
    assert _titles(_search(client, "telefon", "da"))


@pytest.mark.parametrize(
    "query", ['"', "*", "(", 'USB"', "usb*)", "NEAR(usb", ":usb", "a & !b", "the", "l'"]
)
def test_it_answers_queries_with_search_syntax_without_failing(
    seeded: None, client: Client, query: str
):
    response = _search(client, query)
    assert response.status_code == 200


def test_it_quotes_the_words_of_a_query_full_of_syntax(seeded: None, client: Client):
    response = _search(client, '"USB" OR (power*')
    assert response.status_code == 200
    assert "The device does not start with the computer" in _titles(response)


def test_it_asks_for_words_when_the_query_is_empty_or_has_none(seeded: None, client: Client):
    empty = _search(client, "   ")
    assert "Type a few words about your problem" in empty.content.decode()
    symbols = _search(client, '"*()')
    assert "Your search has no word to look for" in symbols.content.decode()


def test_it_refuses_a_query_that_is_too_long_with_a_message(seeded: None, client: Client):
    response = _search(client, "usb " * 100)
    assert response.status_code == 400
    assert "Type at most 200 characters." in response.content.decode()


def test_it_says_so_in_french_when_nothing_matches_and_offers_help(
    seeded: None, client: Client, settings
):
    settings.HELP_CONTACT_URL = "/contact/"
    response = _search(client, "zeppelin", "fr")
    page = response.content.decode()
    assert "Aucun article ne correspond à «\u00a0zeppelin\u00a0»" in page
    assert 'href="/contact/"' in page


def test_it_finds_an_article_again_after_staff_change_its_text(db: None, client: Client):
    article = make_article(texts={"en": ("Power", "Try another USB port.")})
    assert _titles(_search(client, "hub")) == []
    article_translation_save(
        article=article,
        language="en",
        title="Power",
        body_markdown="Unplug the USB hub.",
        is_published=True,
    )
    assert _titles(_search(client, "hub")) == ["Power"]
    assert _titles(_search(client, "port")) == []


def test_it_does_not_find_drafts(db: None, client: Client):
    make_article(texts={"en": ("Secret plans", "Not yet")}, published=False)
    assert _titles(_search(client, "secret")) == []


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's index only: PostgreSQL's goes with the row"
)
def test_it_finds_the_articles_past_the_index_rows_of_deleted_translations(
    seeded: None, client: Client
) -> None:
    """Translations deleted without the services (a database flush, a cascade) leave their
    rows in SQLite's index: however many, they never take the places of real results."""
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO helpcentre_search (rowid, title, body, language) VALUES (%s, %s, %s, %s)",
            [
                [1_000_000 + n, "USB power", "Try another USB port.", "en"]
                for n in range(RESULTS_MAX + 5)
            ],
        )
    assert _titles(_search(client, "USB power"))[:1] == [
        "The device does not start with the computer"
    ]
