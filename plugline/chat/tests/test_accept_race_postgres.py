"""Two agents, in two processes, accept the same chat at the same moment: one has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_subscriber
from plugline.chat import services
from plugline.chat.models import Conversation, ConversationStatus, Message, PresenceStatus
from plugline.chat.tests.helpers import make_agent
from plugline.core.tests.racing import (
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def test_two_agents_accepting_one_chat_at_once_leave_it_to_one(tmp_path: Path):
    agents = [make_agent("sam@example.com"), make_agent("kim@example.com", first_name="Kim")]
    for agent in agents:
        services.presence_set(agent=agent, status=PresenceStatus.ONLINE)
    for attempt in range(5):
        customer = make_subscriber(f"customer{attempt}@example.com", numbers=()).user
        conversation = services.conversation_open(user=customer, language="en")
        sync = tmp_path / str(attempt)
        sync.mkdir()
        workers = [
            worker_start("plugline.chat.tests.accept_race", name, sync, agent.pk, conversation.pk)
            for name, agent in zip("ab", agents, strict=True)
        ]
        with workers_stopped_after(workers):
            workers_wait([sync / "ready-a", sync / "ready-b"], workers)
            (sync / "go").touch()
            finished = workers_finish(workers)
        for result in finished:
            assert result.returncode == 0, result.err
        outcomes = sorted(result.lines()[-1] for result in finished)
        assert outcomes == ["lost", "won"]
        conversation = Conversation.objects.get(pk=conversation.pk)
        winner = agents[0] if finished[0].lines()[-1] == "won" else agents[1]
        assert (conversation.status, conversation.agent) == (ConversationStatus.ACTIVE, winner)
        assert Message.objects.filter(conversation=conversation, event="joined").count() == 1
        # The next chat starts with both agents free again.
        services.conversation_close(conversation_id=conversation.pk, by=winner)
