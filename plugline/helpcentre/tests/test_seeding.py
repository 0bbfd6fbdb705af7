"""`seed_demo` puts the help centre's articles from the guides in place, and back."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from plugline.helpcentre.models import Article, ArticleTranslation
from plugline.helpcentre.services import article_translation_save
from plugline.helpcentre.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_mode(settings) -> None:
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _state() -> list[tuple]:
    return list(
        ArticleTranslation.objects.values_list(
            "article__slug", "language", "title", "is_published", "updated_at"
        ).order_by("article__slug", "language")
    )


def test_it_seeds_each_guides_article_in_three_languages_once():
    first = seed()
    assert "Help centre at /help/" in first
    assert set(Article.objects.values_list("slug", flat=True)) == {
        "device-does-not-start",
        "activate-your-device",
        "renew-your-service",
        "forgotten-password",
        "used-device",
    }
    before = _state()
    assert len(before) == 15
    assert all(published for _slug, _language, _title, published, _at in before)
    assert seed() == first
    assert _state() == before


def test_it_puts_an_edited_article_back_and_says_so_leaving_staffs_own_alone(client: Client):
    seed()
    tip = Article.objects.get(slug="device-does-not-start")
    article_translation_save(
        article=tip, language="en", title="Broken", body_markdown="Gone", is_published=False
    )
    make_article("staff-own", texts={"en": ("Our own", "Written by staff about a USB hub.")})
    printed = seed()
    assert "reset: help article device-does-not-start (en) back to its text" in printed
    response = client.get("/help/search/", {"q": "usb"})
    titles = [hit.translation.title for hit in response.context["hits"]]
    assert "The device does not start with the computer" in titles
    assert "Our own" in titles
