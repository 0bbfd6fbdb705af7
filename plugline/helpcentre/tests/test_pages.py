"""The help centre's pages in the reader's language, English where a translation is missing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plugline.helpcentre.models import Feedback
from plugline.helpcentre.seeding import help_articles_seed
from plugline.helpcentre.tests.factories import make_article, make_category

pytestmark = pytest.mark.django_db

FRENCH = {"accept-language": "fr"}
DANISH = {"accept-language": "da"}


def test_it_shows_the_article_in_the_readers_language(client: Client):
    help_articles_seed()
    page = client.get("/help/troubleshooting/device-does-not-start/", headers=DANISH)
    html = page.content.decode()
    assert "<h1>Enheden starter ikke sammen med computeren</h1>" in html
    assert "Prøv en anden USB-port." in html
    assert "Var det nyttigt?" in html
    assert "not translated" not in html


def test_it_falls_back_to_english_and_says_so(client: Client):
    make_article(texts={"en": ("Try another USB port", "The port may lack power.")})
    html = client.get("/help/troubleshooting/usb-power/", headers=FRENCH).content.decode()
    assert "Cet article n’est pas encore traduit dans votre langue" in html  # noqa: RUF001
    assert '<article class="help-article" lang="en">' in html
    assert "<h1>Try another USB port</h1>" in html


def test_it_hides_drafts_and_unknown_articles(client: Client):
    make_article(texts={"en": ("Draft", "Not yet")}, published=False)
    assert client.get("/help/troubleshooting/usb-power/").status_code == 404
    assert client.get("/help/troubleshooting/").status_code == 404
    assert client.get("/help/troubleshooting/no-such-article/").status_code == 404
    assert "Draft" not in client.get("/help/").content.decode()


def test_it_shows_a_french_draft_in_english_until_it_is_published(client: Client):
    make_article(texts={"en": ("Power", "Try another port.")})
    article = make_article(
        "port", texts={"fr": ("Alimentation (brouillon)", "Pas encore")}, published=False
    )
    html = client.get("/help/", headers=FRENCH).content.decode()
    assert "Power" in html
    assert "brouillon" not in html
    assert client.get(f"/help/troubleshooting/{article.slug}/", headers=FRENCH).status_code == 404


def test_it_lists_categories_and_the_articles_found_most_helpful(client: Client):
    help_articles_seed()
    article = make_article("renew-by-phone", texts={"en": ("Renew by phone", "Call us.")})
    for n in range(3):
        Feedback.objects.create(article=article, language="en", helpful=True, session_key=f"s{n}")
    html = client.get("/help/").content.decode()
    popular = html[html.index('id="popular-heading"') : html.index('id="categories-heading"')]
    assert popular.index("Renew by phone") < popular.index("Activate your device")
    for name in ("Getting started", "Your account", "Renewing your service", "Troubleshooting"):
        assert name in html
    danish = client.get("/help/", headers=DANISH).content.decode()
    assert "Forny dit abonnement" in danish


def test_it_lists_a_categorys_articles_in_its_language(client: Client):
    help_articles_seed()
    html = client.get("/help/account/", headers=FRENCH).content.decode()
    assert "<h1>Votre compte</h1>" in html
    assert "Mot de passe oublié\u202f?" in html
    assert "Vous avez acheté un appareil d’occasion" in html  # noqa: RUF001


def _queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


PAGES = [
    "/help/",
    "/help/troubleshooting/",
    "/help/troubleshooting/article-0/",
    "/help/search/?q=usb",
]


@pytest.mark.parametrize("url", PAGES)
def test_it_loads_each_page_with_as_many_queries_for_thirty_articles_as_for_one(
    client: Client, url: str
):
    texts = {
        language: (f"USB port {language}", "Try another USB port.") for language in ("en", "fr")
    }
    make_article("article-0", texts=texts)
    one = _queries(client, url)
    for n in range(1, 30):
        category = make_category(f"category-{n % 4}", f"Category {n % 4}")
        article = make_article(f"article-{n}", texts=texts, category=category, topics=("t",))
        Feedback.objects.create(article=article, language="en", helpful=True, session_key="s")
    assert _queries(client, url) == one
