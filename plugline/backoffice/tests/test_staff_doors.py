"""Every address of the staff consoles (customers, tickets, chats, reports) is refused to
whoever may not use it: signed out (to sign in), a subscriber (403), staff without
two-factor (to turn it on), and staff holding every console permission but the one the
address needs (403). A refused action changes nothing. A new staff address must be listed
here with its permission."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import make_subscriber, sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.backoffice.tests.conftest import Customer
from plugline.chat import services as chat_services
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage
from plugline.support.models import TicketMessage
from plugline.support.tests.factories import open_ticket

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Door:
    name: str  # the URL's name
    method: str
    permissions: tuple[str, ...]


VIEW = "backoffice.view_customer"
DOORS = [
    Door("backoffice:home", "GET", (VIEW,)),
    Door("backoffice:customer", "GET", (VIEW,)),
    Door("backoffice:refund", "POST", (VIEW, "backoffice.refund_payment")),
    Door("backoffice:receipt_resend", "POST", (VIEW, "backoffice.resend_receipt")),
    Door("backoffice:goodwill", "POST", (VIEW, "backoffice.extend_service")),
    Door("backoffice:suspend", "POST", (VIEW, "backoffice.suspend_device")),
    Door("backoffice:resume", "POST", (VIEW, "backoffice.suspend_device")),
    Door("backoffice:password_reset", "POST", (VIEW, "backoffice.reset_customer_sign_in")),
    Door("backoffice:two_factor_remove", "POST", (VIEW, "backoffice.remove_two_factor")),
    Door("support:desk", "GET", ("support.answer_ticket",)),
    Door("support:desk_ticket", "GET", ("support.answer_ticket",)),
    Door("support:desk_reply", "POST", ("support.answer_ticket",)),
    Door("support:desk_assign", "POST", ("support.answer_ticket",)),
    Door("support:desk_status", "POST", ("support.answer_ticket",)),
    Door("chat:console", "GET", ("chat.answer_chat",)),
    Door("chat:agent_image", "POST", ("chat.answer_chat",)),
    Door("reports:home", "GET", ("reports.view_reports",)),
    Door("reports:report", "GET", ("reports.view_reports",)),
    Door("reports:csv", "GET", ("reports.view_reports",)),
]
CONSOLE_PERMISSIONS = sorted({name for door in DOORS for name in door.permissions})


def _staff_url_names(patterns: list, prefix: str = "", namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _staff_url_names(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and route.startswith("staff/") and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_it_knows_the_permission_of_every_staff_address():
    assert _staff_url_names(get_resolver().url_patterns) == {door.name for door in DOORS}


def _url(door: Door, customer: Customer, conversation_id: int, reference: str) -> str:
    app, name = door.name.split(":")
    kwargs: dict[str, object] = {}
    if app == "backoffice" and name != "home":
        kwargs["pk"] = customer.user.pk
    if name in ("refund", "receipt_resend"):
        kwargs["payment_id"] = customer.payment.pk
    if name in ("goodwill", "suspend", "resume"):
        kwargs["device_id"] = customer.device.pk
    if app == "support" and name != "desk":
        kwargs["reference"] = reference
    if name == "agent_image":
        kwargs["conversation_id"] = conversation_id
    if name in ("report", "csv"):
        kwargs["slug"] = "revenue"
    return reverse(door.name, kwargs=kwargs)


def _staff(email: str, permissions: list[str]) -> User:
    user = make_subscriber(email, numbers=()).user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def _knock(client: Client, door: Door, url: str):
    posted = {"reason": "Testing the door", "amount": "1.00", "days": "3", "body": "Hello"}
    posted |= {"status": "solved", "to_me": "1", "identity_checked": "on"}
    return client.post(url, posted) if door.method == "POST" else client.get(url)


def test_every_staff_address_is_refused_to_whoever_may_not_use_it(customer: Customer):
    ticket = open_ticket(customer.user)
    agent = _staff("sam@example.com", ["chat.answer_chat"])
    chat_services.presence_set(agent=agent, status="online")
    conversation = chat_services.conversation_open(user=customer.user, language="en")
    chat_services.conversation_accept(conversation_id=conversation.pk, agent=agent)

    signed_out = Client()
    subscriber = Client()
    subscriber.force_login(customer.user)
    without_two_factor = Client()
    without_two_factor.force_login(_staff("new@example.com", CONSOLE_PERMISSIONS))
    written = (
        AuditEvent.objects.exclude(action=AuditAction.SIGN_IN).count(),
        OutboxMessage.objects.count(),
        TicketMessage.objects.count(),
    )

    for door in DOORS:
        url = _url(door, customer, conversation.pk, ticket.reference)
        label = f"{door.method} {url}"
        assert "/accounts/login/" in _knock(signed_out, door, url)["Location"], label
        assert _knock(subscriber, door, url).status_code == 403, label
        assert _knock(without_two_factor, door, url)["Location"] == (
            "/accounts/2fa/totp/activate/"
        ), label
        for missing in door.permissions:
            lacking = Client()
            held = [name for name in CONSOLE_PERMISSIONS if name != missing]
            staff = _staff(f"lacks-{door.name.replace(':', '-')}-{missing}@example.com", held)
            sign_in_with_two_factor(lacking, staff)
            assert _knock(lacking, door, url).status_code == 403, f"{label} without {missing}"

    assert (
        AuditEvent.objects.exclude(action=AuditAction.SIGN_IN).count(),
        OutboxMessage.objects.count(),
        TicketMessage.objects.count(),
    ) == written
    customer.payment.refresh_from_db()
    assert customer.payment.refunded_amount == 0
