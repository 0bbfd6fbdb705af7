"""Live chat over WebSockets: both sides, reconnection, the accept race, who may read what."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from conftest import Subscriber, make_subscriber
from plugline.chat.models import AgentPresence, CannedResponse, Conversation, Message
from plugline.chat.tests.helpers import (
    agent_client,
    connected,
    customer_client,
    make_agent,
    next_of,
    socket_for,
    texts_until_quiet,
)

# Channels closes "old" database connections around each of its database calls, which
# would end the transaction of a plain `db` test: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def start_chat(client: Client, **visitor: str) -> Conversation:
    response = client.post("/chat/start/", visitor)
    assert response.status_code == 200, response.content
    return Conversation.objects.latest("pk")


def test_it_carries_a_chat_both_ways_with_the_queue_the_agent_and_typing(alice: Subscriber):
    agent = make_agent("sam@example.com", first_name="Sam")
    agents = agent_client(agent)
    customer = customer_client(alice.user)
    conversation = start_chat(customer)

    async def scenario() -> None:
        tab = await connected(customer)
        state = await next_of(tab, "state")
        assert (state["status"], state["position"], state["agent"]) == ("queued", 1, None)
        console = await connected(agents, "/ws/chat/agent/")
        snapshot = await next_of(console, "console")
        assert [waiting["name"] for waiting in snapshot["queue"]] == ["Alice Archer"]

        await console.send_json_to({"type": "accept", "conversation": conversation.pk})
        state = await next_of(tab, "state", status="active")
        assert state["agent"] == "Sam"
        await tab.send_json_to({"type": "message", "text": "My device is not detected"})
        heard = await next_of(console, "message", author="customer")
        assert (heard["conversation"], heard["text"], heard["name"]) == (
            conversation.pk,
            "My device is not detected",
            "Alice",
        )
        await console.send_json_to({"type": "typing", "conversation": conversation.pk})
        assert (await next_of(tab, "typing"))["name"] == "Sam"
        await tab.send_json_to({"type": "typing"})
        assert (await next_of(console, "typing"))["author"] == "customer"
        await console.send_json_to(
            {"type": "message", "conversation": conversation.pk, "text": "Try another USB port"}
        )
        reply = await next_of(tab, "message", author="agent")
        assert (reply["text"], reply["name"]) == ("Try another USB port", "Sam")
        await tab.disconnect()
        await console.disconnect()

    async_to_sync(scenario)()
    assert list(
        Message.objects.filter(conversation=conversation).values_list("seq", "author_kind")
    ) == [(1, "system"), (2, "customer"), (3, "agent")]


def test_it_replays_what_a_dropped_tab_missed_without_loss_or_duplicate(alice: Subscriber):
    agent = make_agent("sam@example.com")
    agents = agent_client(agent)
    customer = customer_client(alice.user)
    conversation = start_chat(customer)

    async def scenario() -> list[tuple[int, str]]:
        console = await connected(agents, "/ws/chat/agent/")
        await console.send_json_to({"type": "accept", "conversation": conversation.pk})
        await next_of(console, "message", event="joined")
        tab = await connected(customer)
        await tab.send_json_to({"type": "resume", "after": 0})
        assert (await next_of(tab, "message"))["seq"] == 1  # "Sam joined"
        await tab.send_json_to({"type": "message", "text": "one"})
        assert (await next_of(tab, "message"))["seq"] == 2
        await tab.disconnect()
        for text in ("two", "three", "four"):
            await console.send_json_to(
                {"type": "message", "conversation": conversation.pk, "text": text}
            )
            await next_of(console, "message", text=text)
        # The page comes back with the last number it had: 2.
        tab = await connected(customer)
        await tab.send_json_to({"type": "resume", "after": 2})
        replayed = await texts_until_quiet(tab)
        await tab.disconnect()
        await console.disconnect()
        return replayed

    assert async_to_sync(scenario)() == [(3, "two"), (4, "three"), (5, "four")]


def test_it_gives_a_chat_to_one_agent_when_two_accept_it_at_once(alice: Subscriber):
    first, second = make_agent("sam@example.com"), make_agent("kim@example.com", first_name="Kim")
    first_browser, second_browser = agent_client(first), agent_client(second)
    conversation = start_chat(customer_client(alice.user))

    async def scenario() -> list[str]:
        one = await connected(first_browser, "/ws/chat/agent/")
        two = await connected(second_browser, "/ws/chat/agent/")
        await one.send_json_to({"type": "accept", "conversation": conversation.pk})
        await two.send_json_to({"type": "accept", "conversation": conversation.pk})
        refusal = await next_of(two, "error")
        await one.disconnect()
        await two.disconnect()
        return [refusal["message"]]

    assert async_to_sync(scenario)() == ["Another agent has already taken this chat."]
    conversation.refresh_from_db()
    assert conversation.agent == first
    assert Message.objects.filter(conversation=conversation, event="joined").count() == 1


def test_it_never_lets_a_customer_read_another_conversation(alice: Subscriber, bob: Subscriber):
    agents = agent_client(make_agent("sam@example.com"))
    alices = customer_client(alice.user)
    alice_chat = start_chat(alices)
    bobs = customer_client(bob.user)
    # A signed-out browser whose session names Alice's chat (made here, not in the
    # scenario's event loop: its database connection would outlive the loop's thread).
    stranger = Client()
    stranger.get("/")
    session = stranger.session
    session["chat_conversation_id"] = alice_chat.pk
    session.save()
    stranger.cookies["sessionid"] = session.session_key or ""

    async def scenario() -> tuple[bool, bool, list[tuple[int, str]]]:
        # Bob has no chat: nothing to connect to, whatever he sends.
        bob_refused, _code = await socket_for(bobs).connect()
        # The stranger is not given Alice's chat.
        stranger_refused, _code = await socket_for(stranger).connect()
        # Bob opens his own chat: he hears only his.
        await start_chat_async(bobs)
        bob_tab = await connected(bobs)
        console = await connected(agents, "/ws/chat/agent/")
        await console.send_json_to({"type": "accept", "conversation": alice_chat.pk})
        await console.send_json_to(
            {"type": "message", "conversation": alice_chat.pk, "text": "Alice's PIN is 1234"}
        )
        await next_of(console, "message", text="Alice's PIN is 1234")
        await bob_tab.send_json_to({"type": "resume", "after": 0})
        heard = await texts_until_quiet(bob_tab)
        await bob_tab.disconnect()
        await console.disconnect()
        return bob_refused, stranger_refused, heard

    bob_connected, stranger_connected, bob_heard = async_to_sync(scenario)()
    assert not bob_connected
    assert not stranger_connected
    assert bob_heard == []


async def start_chat_async(client: Client) -> None:
    from channels.db import database_sync_to_async

    await database_sync_to_async(start_chat)(client)


def test_it_refuses_the_console_to_staff_without_the_permission_or_two_factor():
    without_permission = agent_client(make_agent("pat@example.com", permission=False), online=False)
    without_two_factor = Client()
    without_two_factor.force_login(make_agent("lee@example.com"))
    signed_out = Client()
    customer = customer_client(make_subscriber("carol@example.com", numbers=()).user)
    allowed = agent_client(make_agent("sam@example.com"))

    async def scenario() -> list[bool]:
        results = []
        for browser in (without_permission, without_two_factor, signed_out, customer, allowed):
            accepted, _code = await socket_for(browser, "/ws/chat/agent/").connect()
            results.append(accepted)
        return results

    assert async_to_sync(scenario)() == [False, False, False, False, True]


def test_it_refuses_a_page_of_another_site(alice: Subscriber):
    agent_client(make_agent("sam@example.com"))
    customer = customer_client(alice.user)
    start_chat(customer)
    socket = socket_for(customer)
    socket.scope["headers"] = [
        (name, b"https://evil.example" if name == b"origin" else value)
        for name, value in socket.scope["headers"]
    ]

    async def scenario() -> bool:
        accepted, _code = await socket.connect()
        return accepted

    assert async_to_sync(scenario)() is False


def test_it_refuses_a_flood_of_messages(alice: Subscriber, settings):
    settings.CHAT_RATE_MESSAGES = 3
    agent_client(make_agent("sam@example.com"))
    customer = customer_client(alice.user)
    conversation = start_chat(customer)

    async def scenario() -> str:
        tab = await connected(customer)
        for n in range(5):
            await tab.send_json_to({"type": "message", "text": f"spam {n}"})
        error = await next_of(tab, "error")
        await tab.disconnect()
        return error["message"]

    assert async_to_sync(scenario)() == "You are sending messages too fast: wait a few seconds."
    assert Message.objects.filter(conversation=conversation).count() == 3


def test_it_answers_in_the_customers_language(bob: Subscriber):
    agent_client(make_agent("sam@example.com"))
    customer = customer_client(bob.user)
    customer.cookies["plugline_language"] = "fr"
    conversation = start_chat(customer)
    assert conversation.language == "fr"

    async def scenario() -> str:
        tab = await connected(customer)
        await tab.send_json_to({"type": "message", "text": " "})
        error = await next_of(tab, "error")
        await tab.disconnect()
        return error["message"]

    assert async_to_sync(scenario)() == "Écrivez d\u2019abord un message."


def test_it_moves_a_transferred_chat_to_the_other_agents_console(alice: Subscriber):
    sam, kim = make_agent("sam@example.com"), make_agent("kim@example.com", first_name="Kim")
    sams, kims = agent_client(sam), agent_client(kim)
    customer = customer_client(alice.user)
    conversation = start_chat(customer)

    async def scenario() -> None:
        tab = await connected(customer)
        one = await connected(sams, "/ws/chat/agent/")
        two = await connected(kims, "/ws/chat/agent/")
        await one.send_json_to({"type": "accept", "conversation": conversation.pk})
        await next_of(one, "message", event="joined")
        assert (await next_of(tab, "state", status="active"))["agent"] == "Sam"
        await one.send_json_to(
            {"type": "transfer", "conversation": conversation.pk, "agent": kim.pk}
        )
        kims_console = await next_of(two, "console")
        while not kims_console["chats"]:
            kims_console = await next_of(two, "console")
        assert [chat["name"] for chat in kims_console["chats"]] == ["Alice Archer"]
        assert (await next_of(tab, "state", agent="Kim"))["status"] == "active"
        sams_console = await next_of(one, "console")
        while sams_console["chats"]:  # the consoles sent before the transfer
            sams_console = await next_of(one, "console")
        # Kim answers; Sam hears nothing more of it.
        await two.send_json_to(
            {"type": "message", "conversation": conversation.pk, "text": "Kim here"}
        )
        assert (await next_of(tab, "message", author="agent"))["name"] == "Kim"
        await one.send_json_to(
            {"type": "message", "conversation": conversation.pk, "text": "Sam again"}
        )
        assert (await next_of(one, "error"))["message"] == "This chat is not one of yours."
        for socket in (tab, one, two):
            await socket.disconnect()

    async_to_sync(scenario)()


def test_it_sends_a_canned_response_filled_in_for_the_customer(alice: Subscriber):
    canned = CannedResponse.objects.create(
        language="en", title="Greeting", text="Hello {first_name}, is {device_number} on?"
    )
    CannedResponse.objects.create(language="fr", title="Bonjour", text="Bonjour {first_name}")
    agents = agent_client(make_agent("sam@example.com"))
    customer = customer_client(alice.user)
    conversation = start_chat(customer)

    async def scenario() -> tuple[list[str], str]:
        tab = await connected(customer)
        console = await connected(agents, "/ws/chat/agent/")
        await console.send_json_to({"type": "accept", "conversation": conversation.pk})
        snapshot = await next_of(console, "console")
        while not snapshot["chats"]:
            snapshot = await next_of(console, "console")
        titles = [item["title"] for item in snapshot["chats"][0]["canned"]]
        await console.send_json_to(
            {"type": "canned", "conversation": conversation.pk, "canned": canned.pk}
        )
        heard = await next_of(tab, "message", author="agent")
        await tab.disconnect()
        await console.disconnect()
        return titles, heard["text"]

    assert async_to_sync(scenario)() == (["Greeting"], "Hello Alice, is (212) 555-0147 on?")


def test_it_never_writes_chat_text_in_the_logs(alice: Subscriber, caplog):
    agents = agent_client(make_agent("sam@example.com"))
    customer = customer_client(alice.user)
    conversation = start_chat(customer)
    secret = "my PIN is 4821 and <script>alert(1)</script>"

    async def scenario() -> None:
        tab = await connected(customer)
        console = await connected(agents, "/ws/chat/agent/")
        await console.send_json_to({"type": "accept", "conversation": conversation.pk})
        await next_of(console, "message", event="joined")
        await tab.send_json_to({"type": "message", "text": secret})
        heard = await next_of(console, "message", author="customer")
        # Carried as data, exactly as typed: the pages insert it as text (textContent).
        assert heard["text"] == secret
        await tab.send_json_to({"type": "message", "text": "x" * 2001})
        await next_of(tab, "error")
        await tab.disconnect()
        await console.disconnect()

    with caplog.at_level(logging.DEBUG):
        async_to_sync(scenario)()
    assert "4821" not in caplog.text
    assert "x" * 100 not in caplog.text


# Frames a browser's script never sends: not JSON, binary, JSON nested beyond Python's
# recursion limit, numbers beyond any column, values of the wrong type.
NASTY_FRAMES: list[dict[str, str | bytes]] = [
    {"text_data": "not json"},
    {"text_data": '{"type": "message", "text": "unfinished'},
    {"bytes_data": b"\x00\xff binary"},
    {"text_data": "[" * 100_000 + "]" * 100_000},
    {"text_data": '{"type": "resume", "after": 99999999999999999999999}'},
    {"text_data": '{"type": "resume", "after": 1e999999999}'},
    {"text_data": '{"type": "resume", "after": "sNaN"}'},
    {"text_data": '{"type": "rate", "rating": 99999999999999999999999}'},
    {"text_data": '{"type": "message", "text": {"nested": true}}'},
    {"text_data": "null"},
]


def test_a_customer_socket_survives_frames_no_browser_sends_and_keeps_the_chat(alice: Subscriber):
    agent_client(make_agent("sam@example.com"))
    customer = customer_client(alice.user)
    conversation = start_chat(customer)

    async def scenario() -> list[tuple[int, str]]:
        tab = await connected(customer)
        await next_of(tab, "state")
        for frame in NASTY_FRAMES:
            await tab.send_to(**frame)
        await tab.send_json_to({"type": "message", "text": "Still here"})
        heard = await next_of(tab, "message", text="Still here")
        await tab.send_json_to({"type": "resume", "after": 0})
        replayed = await texts_until_quiet(tab)
        await tab.disconnect()
        return [(heard["seq"], heard["text"]), *replayed]

    heard = async_to_sync(scenario)()
    assert heard[0][1] == "Still here"
    # Nothing else was saved: the replay holds that one message.
    assert heard[1:] == [heard[0]]
    assert list(conversation.messages.values_list("text", flat=True)) == ["Still here"]


def test_an_agent_socket_survives_frames_no_console_sends(alice: Subscriber):
    agent = make_agent("sam@example.com")
    agents = agent_client(agent)
    conversation = start_chat(customer_client(alice.user))

    async def scenario() -> dict:
        console = await connected(agents, "/ws/chat/agent/")
        await next_of(console, "console")
        for frame in [
            *NASTY_FRAMES,
            {"text_data": '{"type": "accept", "conversation": 99999999999999999999999}'},
            {"text_data": '{"type": "canned", "conversation": 1, "canned": 1e999}'},
            {"text_data": '{"type": "transfer", "conversation": 1, "agent": -1}'},
            {"text_data": '{"type": "presence", "capacity": 99999999999999999999999}'},
        ]:
            await console.send_to(**frame)
        await console.send_json_to({"type": "accept", "conversation": conversation.pk})
        joined = await next_of(console, "message", conversation=conversation.pk)
        await console.disconnect()
        return joined

    assert async_to_sync(scenario)()["event"] == "joined"


@pytest.mark.parametrize("text", ["\x00", "PIN\x00 1234", "\x00" * 100])
def test_it_refuses_a_message_with_a_nul_byte_in_the_customers_language(bob: Subscriber, text: str):
    # PostgreSQL cannot keep a NUL byte in text: the message is refused, not a crash.
    agent_client(make_agent("sam@example.com"))
    customer = customer_client(bob.user)
    customer.cookies["plugline_language"] = "fr"
    conversation = start_chat(customer)

    async def scenario() -> str:
        tab = await connected(customer)
        await tab.send_json_to({"type": "message", "text": text})
        error = await next_of(tab, "error")
        await tab.disconnect()
        return error["message"]

    assert async_to_sync(scenario)() == "Le caractère nul n\u2019est pas autorisé."
    assert not Message.objects.filter(conversation=conversation, author_kind="customer").exists()


@pytest.mark.parametrize("rating", [True, 4.0, "4", -1, 0, 6, None, [4]], ids=repr)
def test_it_refuses_a_rating_that_is_not_a_whole_number_from_1_to_5(
    alice: Subscriber, rating: object
):
    agent_client(make_agent("sam@example.com"))
    customer = customer_client(alice.user)
    conversation = start_chat(customer)

    async def scenario() -> tuple[str, dict]:
        tab = await connected(customer)
        await tab.send_json_to({"type": "close"})
        await next_of(tab, "state", status="closed")
        await tab.send_json_to({"type": "rate", "rating": rating})
        error = await next_of(tab, "error")
        state = await next_of(tab, "state")
        await tab.disconnect()
        return error["message"], state

    message, state = async_to_sync(scenario)()
    assert message == "Choose a rating from 1 to 5."
    assert state["rating"] is None
    assert Conversation.objects.get(pk=conversation.pk).rating is None


def test_an_agent_capacity_must_be_a_whole_number(alice: Subscriber):
    agent = make_agent("sam@example.com")
    agents = agent_client(agent)

    async def scenario() -> list[str]:
        console = await connected(agents, "/ws/chat/agent/")
        await next_of(console, "console")
        errors = []
        for capacity in (True, 0, 21, 99999999999999999999999):
            await console.send_json_to({"type": "presence", "capacity": capacity})
            errors.append((await next_of(console, "error"))["message"])
        await console.disconnect()
        return errors

    assert async_to_sync(scenario)() == ["Take between 1 and 20 chats at once."] * 4
    assert AgentPresence.objects.get(user=agent).capacity == 3  # as it was
