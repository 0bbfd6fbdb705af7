"""PostgreSQL's own search: its configurations with unaccent, its GIN index."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import Client

from plugline.helpcentre.seeding import help_articles_seed

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="PostgreSQL's full-text search",
    ),
    pytest.mark.django_db,
]


def _titles(client: Client, query: str, language: str) -> list[str]:
    response = client.get("/help/search/", {"q": query}, headers={"accept-language": language})
    assert response.status_code == 200
    return [hit.translation.title for hit in response.context["hits"]]


def test_it_finds_danish_letters_typed_without_their_accents(client: Client):
    help_articles_seed()
    # "strøm" (power) typed "strom": unaccent folds ø, which SQLite's tokenizer keeps.
    assert _titles(client, "strom", "da") == ["Enheden starter ikke sammen med computeren"]


def test_it_stems_words_in_the_readers_language(client: Client):
    help_articles_seed()
    # French stemming: "démarrer" finds "démarre"; English: "starts" finds "start".
    assert "L’appareil ne démarre pas avec l’ordinateur" in _titles(client, "demarrer", "fr")  # noqa: RUF001
    assert "The device does not start with the computer" in _titles(client, "starts", "en")


def test_it_searches_through_a_gin_index_with_the_languages_configurations():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'helpcentre_translation_search_gin'"
        )
        (indexdef,) = cursor.fetchone()
        cursor.execute(
            "SELECT cfgname FROM pg_ts_config WHERE cfgname LIKE 'plugline_%' ORDER BY cfgname"
        )
        configs = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT to_tsvector('plugline_fr', 'téléphone')::text")
        (vector,) = cursor.fetchone()
    assert "USING gin (search_vector)" in indexdef
    assert configs == ["plugline_da", "plugline_en", "plugline_fr"]
    assert vector == "'telephon':1"
