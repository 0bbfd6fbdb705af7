"""Starting a chat over HTTP, whether agents are online, and the agents' console page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.chat import services
from plugline.chat.models import Conversation, ConversationStatus, PresenceStatus
from plugline.chat.selectors import SESSION_KEY
from plugline.chat.tests.helpers import agent_client, customer_client, make_agent

pytestmark = pytest.mark.django_db


def test_it_says_nobody_is_online_until_an_agent_with_room_is(alice: Subscriber, settings):
    visitor = Client()
    assert visitor.get("/chat/status/").json() == {"available": False, "conversation": None}
    agent = make_agent("sam@example.com")
    agent_client(agent)
    assert visitor.get("/chat/status/").json()["available"] is True

    services.presence_set(agent=agent, capacity=1)
    conversation = services.conversation_open(user=alice.user, language="en")
    services.conversation_accept(conversation_id=conversation.pk, agent=agent)
    assert visitor.get("/chat/status/").json()["available"] is False  # full

    services.presence_set(agent=agent, capacity=2)
    later = timezone.now() + timedelta(seconds=settings.CHAT_AGENT_SEEN_SECONDS + 1)
    with time_machine.travel(later):
        # The console was closed without a word: the agent no longer counts.
        assert visitor.get("/chat/status/").json()["available"] is False


def test_it_offers_no_chat_outside_business_hours_even_with_an_agent_online(
    alice: Subscriber, settings
):
    agent = make_agent("sam@example.com")
    agent_client(agent)
    visitor = Client()
    assert visitor.get("/chat/status/").json()["available"] is True
    settings.SUPPORT_HOURS = "Mon-Fri 09:00-17:00"
    settings.SUPPORT_TIME_ZONE = "America/New_York"
    sunday = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # 3 pm in New York
    with time_machine.travel(sunday, tick=False):
        agent_client(agent)  # the console still open
        assert visitor.get("/chat/status/").json()["available"] is False
        customer = Client()
        customer.force_login(alice.user)
        refused = customer.post("/chat/start/")
        assert refused.status_code == 409
        assert refused.json()["offline"] is True


def test_it_refuses_to_start_a_chat_when_nobody_is_online(alice: Subscriber):
    response = customer_client(alice.user).post("/chat/start/")
    assert response.status_code == 409
    assert response.json()["offline"] is True
    assert not Conversation.objects.exists()


def test_it_asks_a_visitor_for_a_name_and_a_valid_email_first():
    agent_client(make_agent("sam@example.com"))
    visitor = Client()
    response = visitor.post("/chat/start/", {"name": "", "email": "not-an-email"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "email"}
    assert not Conversation.objects.exists()

    response = visitor.post("/chat/start/", {"name": "Dana Doe", "email": "dana@example.com"})
    assert response.json() == {"conversation": "queued"}
    conversation = Conversation.objects.get()
    assert (conversation.customer, conversation.visitor_name, conversation.visitor_email) == (
        None,
        "Dana Doe",
        "dana@example.com",
    )
    assert visitor.session[SESSION_KEY] == conversation.pk
    assert visitor.get("/chat/status/").json()["conversation"] == "queued"
    # Asked again (a double click): still the one chat.
    visitor.post("/chat/start/", {"name": "Dana Doe", "email": "dana@example.com"})
    assert Conversation.objects.count() == 1
    # Another browser does not see it.
    assert Client().get("/chat/status/").json()["conversation"] is None


def test_it_keeps_one_open_chat_per_signed_in_customer(alice: Subscriber):
    agent_client(make_agent("sam@example.com"))
    browser = customer_client(alice.user)
    browser.post("/chat/start/")
    other_browser = customer_client(alice.user)
    other_browser.post("/chat/start/")
    assert Conversation.objects.filter(customer=alice.user).count() == 1
    assert other_browser.get("/chat/status/").json()["conversation"] == "queued"


def test_it_limits_the_chats_one_browser_opens(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "chat_open": "2/h/key"}
    agent_client(make_agent("sam@example.com"))
    visitor = Client()
    answers = []
    for n in range(3):
        answer = visitor.post("/chat/start/", {"name": "Dana", "email": f"dana{n}@example.com"})
        answers.append(answer.status_code)
        for conversation in Conversation.objects.exclude(status=ConversationStatus.CLOSED):
            services.conversation_close(conversation_id=conversation.pk, by=None)
    assert answers == [200, 200, 429]
    assert Conversation.objects.count() == 2


def test_it_shows_the_chat_button_on_portal_pages(client: Client):
    page = client.get("/accounts/login/").content.decode()
    assert "data-chat" in page
    assert "/static/chat/widget.js" in page


def test_it_opens_the_console_to_agents_signed_in_with_two_factor():
    agent = make_agent("sam@example.com")
    response = agent_client(agent, online=False).get("/staff/chat/")
    assert response.status_code == 200
    assert "/static/chat/console.js" in response.content.decode()
    assert "data-chat " not in response.content.decode()  # no customer widget for staff


def test_it_keeps_the_console_from_staff_without_the_permission():
    agent = make_agent("pat@example.com", permission=False)
    assert agent_client(agent, online=False).get("/staff/chat/").status_code == 403


def test_it_lets_one_of_two_accepts_win(alice: Subscriber):
    first, second = make_agent("sam@example.com"), make_agent("kim@example.com")
    for agent in (first, second):
        services.presence_set(agent=agent, status=PresenceStatus.ONLINE)
    conversation = services.conversation_open(user=alice.user, language="en")
    services.conversation_accept(conversation_id=conversation.pk, agent=first)
    with pytest.raises(services.ChatRefused):
        services.conversation_accept(conversation_id=conversation.pk, agent=second)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.agent) == (ConversationStatus.ACTIVE, first)
