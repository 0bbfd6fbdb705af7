"""Tickets for tests, opened through the service as a customer would."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.support.models import Ticket
from plugline.support.services import ticket_open


def open_ticket(
    user: User | None = None,
    *,
    subject: str = "No dial tone",
    body: str = "The phone gives no dial tone since this morning.",
    language: str = "en",
    email: str = "guest@example.com",
) -> Ticket:
    return ticket_open(
        subject=subject,
        body=body,
        language=language,
        user=user,
        name="" if user else "Gus Guest",
        email="" if user else email,
    )


def make_agent(email: str = "agent@example.com", *, first_name: str = "Ada") -> User:
    """A staff member who may answer tickets (and nothing else)."""
    agent = make_subscriber(email, numbers=()).user
    agent.is_staff = True
    agent.first_name = first_name
    agent.last_name = "Agent"
    agent.save(update_fields=["is_staff", "first_name", "last_name"])
    agent.user_permissions.add(
        Permission.objects.get(content_type__app_label="support", codename="answer_ticket")
    )
    return User.objects.get(pk=agent.pk)
