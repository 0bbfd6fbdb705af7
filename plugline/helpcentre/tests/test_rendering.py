"""Staff's Markdown reaches the page sanitised: no script, no event handler, safe links."""

from __future__ import annotations

import pytest
from django.test import Client

from plugline.helpcentre.models import ArticleTranslation
from plugline.helpcentre.tests.factories import make_article

pytestmark = pytest.mark.django_db

CARELESS = """Plug it in.

<script>alert("stolen")</script>

<img src="/static/x.png" onerror="alert('img')" alt="device">

<a href="javascript:alert('link')">click</a> and [the store](https://stores.example/find)

<div onclick="alert('div')" style="position:fixed">**Bold** text</div>
"""


def test_it_never_puts_a_script_or_an_event_handler_on_the_page(client: Client):
    make_article(texts={"en": ("Careless", CARELESS)})
    page = client.get("/help/troubleshooting/usb-power/").content.decode()
    article = page[page.index('<article class="help-article"') : page.index("</article>")]
    assert "Plug it in." in article
    assert "<script" not in article
    assert "stolen" not in article
    assert "onerror" not in article
    assert "onclick" not in article
    assert "javascript:" not in article
    assert "style=" not in article
    assert '<img src="/static/x.png" alt="device">' in article


def test_it_opens_links_with_noopener(client: Client):
    make_article(texts={"en": ("Links", CARELESS)})
    page = client.get("/help/troubleshooting/usb-power/").content.decode()
    assert '<a href="https://stores.example/find" rel="noopener">the store</a>' in page


def test_it_keeps_the_rendered_html_when_saved_not_per_view(
    client: Client, django_assert_num_queries
):
    make_article(texts={"en": ("Kept", "## Steps\n\n1. *One*\n2. Two")})
    translation = ArticleTranslation.objects.get()
    assert (
        translation.body_html == "<h2>Steps</h2>\n<ol>\n<li><em>One</em></li>\n<li>Two</li>\n</ol>"
    )
    # Changed behind the services' back: the page shows what was rendered on save.
    ArticleTranslation.objects.update(body_markdown="# Changed")
    assert "<h2>Steps</h2>" in client.get("/help/troubleshooting/usb-power/").content.decode()
