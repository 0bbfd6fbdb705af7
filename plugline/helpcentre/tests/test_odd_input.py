"""Whatever a reader types or a script posts (odd Unicode, NUL bytes, very long text,
numbers that break parsing), the help centre answers with a page and its message in the
reader's language, never a 500, and keeps nothing it refused."""

from __future__ import annotations

import pytest
from django.test import Client

from plugline.helpcentre.models import Feedback
from plugline.helpcentre.tests.factories import make_article

pytestmark = pytest.mark.django_db

ARTICLE = "/help/troubleshooting/usb-power/"
ODD_QUERIES = [
    "\x00",
    "usb\x00power",
    "x" * 10_000,
    "\u202eusb",  # right-to-left override
    "\U0001f4de\U0001f50c",  # emoji only
    "_",
    "a_b",
    "\uff55\uff53\uff42",  # full-width "usb"
    "u\u0308sb",  # a combining mark
    "\u0663 \u00b2 \U0001d7d9 \u2160",  # Arabic-Indic digit, superscript, math, Roman numeral
    "usb:* & !power | (x",
    "' OR 1=1 --",
    "\ud800",  # a lone surrogate, as a browser never sends it
    "sNaN 1e999999999 -1 0x10",
    "\u00ad\u200b\ufeff",  # invisible characters only
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=lambda query: repr(query[:12]))
def test_it_searches_or_explains_for_odd_queries_never_a_500(client: Client, query: str):
    make_article(texts={"en": ("Try another USB port", "The port may lack **power**.")})

    response = client.get("/help/search/", {"q": query.encode("utf-8", "surrogatepass")})

    assert response.status_code in (200, 400)
    if response.status_code == 400 or not response.context["searched"]:
        assert response.context["problem"]


def test_it_explains_a_nul_byte_in_the_readers_language(client: Client):
    response = client.get("/help/search/", {"q": "usb\x00"}, headers={"accept-language": "da"})

    assert response.status_code == 400
    assert response.context["problem"] == "Null-tegn er ikke tilladte."


@pytest.mark.parametrize(
    "posted",
    [
        {"helpful": "\x00"},
        {"helpful": "yes\x00"},
        {"helpful": "1"},
        {"helpful": "x" * 10_000},
    ],
    ids=repr,
)
def test_it_keeps_no_answer_for_an_odd_one(client: Client, posted: dict):
    make_article()

    response = client.post(ARTICLE + "feedback/", posted, follow=True)

    assert response.status_code == 200
    assert "Choose Yes or No." in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    "posted",
    [
        {"reason": "\x00"},
        {"reason": "unclear", "comment": "bad\x00"},
        {"reason": "unclear", "comment": "x" * 10_000},
        {"reason": "x" * 10_000},
    ],
    ids=lambda posted: repr(posted)[:30],
)
def test_it_keeps_the_no_but_not_an_odd_reason(client: Client, posted: dict):
    make_article()
    client.post(ARTICLE + "feedback/", {"helpful": "no"})

    response = client.post(ARTICLE + "feedback/reason/", posted)

    assert response.status_code == 400
    feedback = Feedback.objects.get()
    assert (feedback.helpful, feedback.reason, feedback.comment) == (False, "", "")
