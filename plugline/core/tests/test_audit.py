"""The audit log records who did what and from which address."""

from __future__ import annotations

from django.test import RequestFactory

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.services import audit_record


def test_it_records_the_client_address_and_browser(alice: Subscriber, rf: RequestFactory):
    request = rf.post(
        "/accounts/login/",
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    audit_record(action=AuditAction.SIGN_IN, request=request, user=alice.user)

    event = AuditEvent.objects.get()
    assert event.user == alice.user
    assert event.ip_address == "203.0.113.7"  # no proxy is trusted: the header is ignored
    assert event.user_agent.startswith("Mozilla/5.0 ")
    assert len(event.user_agent) == 300


def test_it_trusts_forwarded_addresses_only_from_the_operators_proxies(
    db, rf: RequestFactory, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed_then_real = "10.9.9.9, 198.51.100.1"
    request = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=spoofed_then_real)
    event = audit_record(
        action=AuditAction.SIGN_IN_FAILED, request=request, identifier="+12125550147"
    )
    assert event.ip_address == "198.51.100.1"
    assert event.user is None
    assert event.identifier == "+12125550147"


def test_it_records_events_without_a_request(alice: Subscriber):
    event = audit_record(
        action=AuditAction.PASSWORD_CHANGED, user=alice.user, data={"source": "cli"}
    )
    event.refresh_from_db()
    assert (event.ip_address, event.user_agent, event.data) == (None, "", {"source": "cli"})
