# ruff: noqa: RUF001 -- French text uses the typographic apostrophe
""" "Find a store" in English, French and Danish: its refusals, its results and the map's texts."""

from __future__ import annotations

import pytest
from django.test import Client

from plugline.stores.tests.factories import make_store
from plugline.stores.tests.test_views import PAGE, get, map_data

pytestmark = pytest.mark.django_db

NOT_FOUND = {
    "en": "We found no place called “Xyzzyville”. Check the spelling, or try a postal code.",
    "fr": (
        "Nous n’avons trouvé aucun lieu nommé «\u00a0Xyzzyville\u00a0». "
        "Vérifiez l’orthographe, ou essayez un code postal."
    ),
    "da": (
        "Vi fandt intet sted, der hedder “Xyzzyville”. Tjek stavemåden, eller prøv et postnummer."
    ),
}
BAD_LOCATION = {
    "en": "We could not use that location. Type a city or postal code instead.",
    "fr": "Nous n’avons pas pu utiliser cette position. Tapez plutôt une ville ou un code postal.",
    "da": "Vi kunne ikke bruge den placering. Skriv en by eller et postnummer i stedet.",
}


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_it_says_in_the_readers_language_that_no_place_has_that_name(
    client: Client, language: str
) -> None:
    page = get(client, "?q=Xyzzyville", language=language)
    assert f'<html lang="{language}">' in page
    assert NOT_FOUND[language] in page
    assert 'value="Xyzzyville"' in page


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_it_refuses_a_bad_location_in_the_readers_language(client: Client, language: str) -> None:
    client.cookies["plugline_language"] = language
    response = client.get(PAGE + "?lat=200&lon=12")
    assert response.status_code == 400
    assert BAD_LOCATION[language] in response.content.decode()


@pytest.mark.parametrize(
    ("language", "heading", "count", "label", "zoom_in"),
    [
        (
            "en",
            "Stores near Montréal, QC, Canada",
            "1 store, nearest first.",
            "Store 1: Plateau",
            "Zoom in",
        ),
        (
            "fr",
            "Magasins près de Montréal, QC, Canada",
            "1 magasin, le plus proche en premier.",
            "Magasin 1\u00a0: Plateau",
            "Zoom avant",
        ),
        (
            "da",
            "Butikker nær Montréal, QC, Canada",
            "1 butik, den nærmeste først.",
            "Butik 1: Plateau",
            "Zoom ind",
        ),
    ],
)
def test_the_results_and_the_map_speak_the_readers_language(
    client: Client, language: str, heading: str, count: str, label: str, zoom_in: str
) -> None:
    make_store(name="Plateau", latitude=45.52, longitude=-73.58)
    page = get(client, "?q=Montréal", language=language)
    assert heading in page and count in page
    data = map_data(page)
    assert data["stores"][0]["label"] == label
    assert data["text"]["zoomIn"] == zoom_in
