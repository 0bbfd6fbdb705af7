"""“Was this helpful?”: yes or no once per browser session, a reason on no, limits."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from plugline.helpcentre.models import Feedback, FeedbackReason
from plugline.helpcentre.tests.factories import make_article

pytestmark = pytest.mark.django_db

ARTICLE = "/help/troubleshooting/usb-power/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def test_it_keeps_a_yes_and_thanks_the_reader(client: Client):
    make_article()
    response = client.post(ARTICLE + "feedback/", {"helpful": "yes"}, follow=True)
    feedback = Feedback.objects.get()
    assert feedback.helpful is True
    assert feedback.language == "en"
    page = response.content.decode()
    assert "Thank you for telling us." in page
    assert "Thank you for your answer." in page
    assert 'value="yes"' not in page


def test_it_asks_why_after_a_no_and_keeps_the_reason(client: Client):
    make_article()
    page = client.post(ARTICLE + "feedback/", {"helpful": "no"}, follow=True).content.decode()
    assert "What was wrong with it?" in page
    response = client.post(
        ARTICLE + "feedback/reason/",
        {"reason": "did_not_work", "comment": "  Tried every port.  "},
        follow=True,
    )
    feedback = Feedback.objects.get()
    assert (feedback.helpful, feedback.reason, feedback.comment) == (
        False,
        FeedbackReason.DID_NOT_WORK,
        "Tried every port.",
    )
    assert "we will use this to improve the article" in response.content.decode()


def test_it_keeps_one_answer_per_browser_session(client: Client):
    make_article()
    client.post(ARTICLE + "feedback/", {"helpful": "yes"})
    response = client.post(ARTICLE + "feedback/", {"helpful": "no"}, follow=True)
    assert "You already told us about this article." in response.content.decode()
    assert list(Feedback.objects.values_list("helpful", flat=True)) == [True]
    # Another browser answers too.
    Client().post(ARTICLE + "feedback/", {"helpful": "no"})
    assert Feedback.objects.count() == 2


def test_it_refuses_a_reason_without_a_no_first(client: Client):
    make_article()
    response = client.post(ARTICLE + "feedback/reason/", {"reason": "unclear"}, follow=True)
    assert "Answer “Was this helpful?” first." in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("answer", ["", "maybe"])
def test_it_asks_for_yes_or_no_on_a_bad_answer(client: Client, answer: str):
    make_article()
    response = client.post(ARTICLE + "feedback/", {"helpful": answer}, follow=True)
    assert "Choose Yes or No." in response.content.decode()
    assert not Feedback.objects.exists()


def test_it_explains_a_bad_reason_in_french_and_keeps_the_no(client: Client):
    make_article()
    french = {"accept-language": "fr"}
    client.post(ARTICLE + "feedback/", {"helpful": "no"}, headers=french)
    response = client.post(
        ARTICLE + "feedback/reason/",
        {"reason": "bored", "comment": "x" * 501},
        headers=french,
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choisissez ce qui n’allait pas dans l’article." in page  # noqa: RUF001
    assert "Écrivez au plus 500 caractères (vous en avez écrit 501)." in page
    # The typed comment is still in the form.
    assert "x" * 501 in page
    feedback = Feedback.objects.get()
    assert (feedback.helpful, feedback.reason) == (False, "")


def test_it_limits_answers_from_one_address(client: Client):
    make_article()
    statuses = [
        Client().post(ARTICLE + "feedback/", {"helpful": "yes"}).status_code for _ in range(21)
    ]
    assert statuses[:20] == [302] * 20
    assert statuses[20] == 429
    assert Feedback.objects.count() == 20


def test_it_answers_404_for_feedback_on_a_draft(client: Client):
    make_article(published=False)
    assert client.post(ARTICLE + "feedback/", {"helpful": "yes"}).status_code == 404
    assert not Feedback.objects.exists()


def test_it_works_without_javascript_as_a_plain_form(client: Client):
    make_article()
    page = client.get(ARTICLE).content.decode()
    assert f'<form method="post" action="{ARTICLE}feedback/"' in page
    assert '<button type="submit" name="helpful" value="no"' in page
