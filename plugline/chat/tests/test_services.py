"""Capacity, transfer, canned responses, the customer's summary, transcript and rating."""

from __future__ import annotations

import pytest

from conftest import Subscriber
from plugline.chat import services
from plugline.chat.canned import canned_fill
from plugline.chat.models import (
    AuthorKind,
    CannedResponse,
    Conversation,
    ConversationStatus,
    PresenceStatus,
)
from plugline.chat.summary import customer_summary
from plugline.chat.tests.helpers import make_agent
from plugline.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def online_agent(email: str, *, first_name: str = "Sam", capacity: int = 3):
    agent = make_agent(email, first_name=first_name)
    services.presence_set(agent=agent, status=PresenceStatus.ONLINE, capacity=capacity)
    return agent


def test_it_refuses_a_chat_beyond_the_agents_capacity(alice: Subscriber, bob: Subscriber):
    agent = online_agent("sam@example.com", capacity=1)
    first = services.conversation_open(user=alice.user, language="en")
    second = services.conversation_open(user=bob.user, language="fr")
    services.conversation_accept(conversation_id=first.pk, agent=agent)
    with pytest.raises(services.ChatRefused, match="as many chats as your capacity allows"):
        services.conversation_accept(conversation_id=second.pk, agent=agent)
    second.refresh_from_db()
    assert (second.status, second.agent) == (ConversationStatus.QUEUED, None)


def test_it_refuses_chats_to_an_agent_who_is_not_online(alice: Subscriber):
    agent = online_agent("sam@example.com")
    services.presence_set(agent=agent, status=PresenceStatus.BUSY)
    conversation = services.conversation_open(user=alice.user, language="en")
    with pytest.raises(services.ChatRefused, match="Set yourself online"):
        services.conversation_accept(conversation_id=conversation.pk, agent=agent)


def test_it_transfers_a_chat_only_to_another_online_agent_with_room(alice: Subscriber):
    sam = online_agent("sam@example.com")
    kim = online_agent("kim@example.com", first_name="Kim", capacity=1)
    conversation = services.conversation_open(user=alice.user, language="en")
    services.conversation_accept(conversation_id=conversation.pk, agent=sam)
    services.presence_set(agent=kim, status=PresenceStatus.AWAY)
    with pytest.raises(services.ChatRefused):
        services.conversation_transfer(conversation_id=conversation.pk, agent=sam, to_agent=kim)
    services.presence_set(agent=kim, status=PresenceStatus.ONLINE)

    message = services.conversation_transfer(
        conversation_id=conversation.pk, agent=sam, to_agent=kim
    )
    conversation.refresh_from_db()
    assert conversation.agent == kim
    assert (message.event, message.author_name) == ("transferred", "Kim")
    # Sam no longer holds it: he cannot hand it on again.
    lee = online_agent("lee@example.com", first_name="Lee")
    with pytest.raises(services.ChatRefused, match="not yours to transfer"):
        services.conversation_transfer(conversation_id=conversation.pk, agent=sam, to_agent=lee)
    # Kim is full now (one chat at most): Sam cannot give her another.
    other = services.conversation_open(
        user=None, name="Dana Doe", email="dana@example.com", language="en"
    )
    services.conversation_accept(conversation_id=other.pk, agent=sam)
    with pytest.raises(services.ChatRefused, match="as many chats as your capacity allows"):
        services.conversation_transfer(conversation_id=other.pk, agent=sam, to_agent=kim)


def test_it_fills_a_canned_response_with_the_customers_details(alice: Subscriber):
    canned = CannedResponse.objects.create(
        language="en",
        title="USB power",
        text="Hi {first_name}, unplug {device_number} and try another USB port. {unknown}",
    )
    conversation = services.conversation_open(user=alice.user, language="en")
    assert canned_fill(canned=canned, conversation=conversation) == (
        "Hi Alice, unplug (212) 555-0147 and try another USB port. {unknown}"
    )
    visitor = services.conversation_open(
        user=None, name="Dana Doe", email="dana@example.com", language="en"
    )
    assert canned_fill(canned=canned, conversation=visitor) == (
        "Hi Dana, unplug  and try another USB port. {unknown}"
    )


def test_it_sums_up_the_customer_for_the_agent(alice: Subscriber):
    conversation = services.conversation_open(user=alice.user, language="en")
    summary = customer_summary(conversation=conversation)
    assert summary is not None
    assert summary["url"] == f"/staff/customers/{alice.user.pk}/"
    assert [device["number"] for device in summary["devices"]] == ["(212) 555-0147"]
    visitor = services.conversation_open(
        user=None, name="Dana Doe", email="dana@example.com", language="en"
    )
    assert customer_summary(conversation=visitor) is None


def test_it_emails_the_transcript_in_the_customers_language_with_the_text_escaped(
    bob: Subscriber,
):
    agent = online_agent("sam@example.com")
    conversation = services.conversation_open(user=bob.user, language="fr")
    services.conversation_accept(conversation_id=conversation.pk, agent=agent)
    services.message_post(
        conversation_id=conversation.pk,
        author_kind=AuthorKind.CUSTOMER,
        author=bob.user,
        author_name="Bob",
        text="<script>alert('x')</script> ne marche pas",
    )
    services.transcript_request(conversation_id=conversation.pk)
    assert not OutboxMessage.objects.exists()  # at the end of the chat, not before

    services.conversation_close(conversation_id=conversation.pk, by=agent)
    services.transcript_request(conversation_id=conversation.pk)  # asked again: still one
    email = OutboxMessage.objects.get()
    assert email.to_email == "bob@example.com"
    assert email.subject == "Votre conversation avec Plugline"
    assert "Vous: <script>alert('x')</script> ne marche pas" in email.body_text
    assert "<script>" not in email.body_html
    assert "&lt;script&gt;" in email.body_html


def test_it_saves_a_rating_from_1_to_5_once_the_chat_is_closed(alice: Subscriber):
    conversation = services.conversation_open(user=alice.user, language="en")
    with pytest.raises(services.ChatRefused, match="once it is closed"):
        services.conversation_rate(conversation_id=conversation.pk, rating=5)
    services.conversation_close(conversation_id=conversation.pk, by=None)
    with pytest.raises(services.ChatRefused):
        services.conversation_rate(conversation_id=conversation.pk, rating=6)
    services.conversation_rate(conversation_id=conversation.pk, rating=4)
    assert Conversation.objects.get().rating == 4


def test_it_puts_the_customers_chats_in_their_data_export(alice: Subscriber, bob: Subscriber):
    from plugline.accounts.data_export import data_export_build

    agent = online_agent("sam@example.com")
    conversation = services.conversation_open(user=alice.user, language="en")
    services.conversation_accept(conversation_id=conversation.pk, agent=agent)
    services.message_post(
        conversation_id=conversation.pk,
        author_kind=AuthorKind.CUSTOMER,
        author=alice.user,
        author_name="Alice",
        text="Where is my device?",
    )
    services.conversation_open(user=bob.user, language="fr")

    chats = data_export_build(user=alice.user)["chats"]
    assert [
        [(message["author"], message["text"]) for message in chat["messages"]] for chat in chats
    ] == [[("system", ""), ("customer", "Where is my device?")]]


def test_it_puts_an_agents_open_chats_back_in_the_queue_when_their_account_closes(
    alice: Subscriber,
):
    from plugline.accounts.services import account_close

    agent = online_agent("sam@example.com")
    conversation = services.conversation_open(user=alice.user, language="en")
    services.conversation_accept(conversation_id=conversation.pk, agent=agent)
    account_close(user=agent)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.agent) == (ConversationStatus.QUEUED, None)
