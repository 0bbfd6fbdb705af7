"""Cookie-less GETs (crawlers, link checkers, someone who only looks) of the help centre,
the contact form, the chat widget's status and a ticket's secret link write nothing: no
session, no row in any table."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client

from plugline.chat.tests.asgi_servers import ALWAYS_OPEN
from plugline.chat.tests.helpers import agent_client, make_agent
from plugline.helpcentre.tests.factories import make_article
from plugline.notifications.models import OutboxMessage
from plugline.support.tests.factories import open_ticket

pytestmark = pytest.mark.django_db


def rows() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_it_writes_nothing_for_cookieless_visits_of_the_public_support_pages(settings):
    settings.SUPPORT_HOURS = ALWAYS_OPEN
    article = make_article()
    open_ticket(email="gus@example.com")
    link = re.search(r"https?://[^/\s]+(/requests/\S+/)", OutboxMessage.objects.get().body_text)
    assert link
    agent_client(make_agent("sam@example.com"))  # the chat widget offers a chat
    urls = [
        "/help/",
        f"/help/{article.category.slug}/",
        f"/help/{article.category.slug}/{article.slug}/",
        "/help/search/?q=usb+power",
        "/help/search/?q=%00",
        "/contact/",
        "/chat/status/",
        link[1],
    ]
    before = rows()
    sessions = Session.objects.count()  # the agent's

    for _ in range(10):
        for url in urls:
            response = Client().get(url)
            assert response.status_code in (200, 400), url
            assert "sessionid" not in response.cookies, url

    assert Session.objects.count() == sessions
    assert rows() == before
