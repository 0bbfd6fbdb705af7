"""The browser softphone's side of Kamailio (-A WITH_WEBSOCKET): SIP over WebSocket,
registered with the short-lived credentials Plugline issues (auth_ephemeral), only for a line
that is open, and only from the portal's origin."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import websocket
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from plugline.telephony.kamailio_run import Softphone, running_rtpengine
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.sip import sip_ephemeral_credentials
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    ROLE,
    RunningKamailio,
    free_port,
    needs_postgres,
    role_dsn,
    role_password,
    running_kamailio,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings
from plugline.telephony.tests.websip import ws_register

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

SECRET = "softphone-test-secret"
ORIGIN = "http://portal.plugline.test"
USER = "12125550147"


@pytest.fixture(scope="module")
def softphone_kamailio(
    django_db_setup: None, django_db_blocker
) -> Iterator[tuple[RunningKamailio, str]]:
    """Kamailio with its WebSocket listener and rtpengine; and the WebSocket's URL."""
    with django_db_blocker.unblock():
        sip_database_role_grant(connection, role=ROLE, password=role_password())
        dsn = role_dsn()
    ws_port = free_port()
    with running_rtpengine() as rtpengine:
        softphone = Softphone(
            ws_port=ws_port, secret=SECRET, rtpengine_sock=rtpengine.control, origin=ORIGIN
        )
        with running_kamailio(db_url=dsn, domain=DOMAIN, softphone=softphone) as running:
            yield running, f"ws://127.0.0.1:{ws_port}"


def register(ws_url: str, *, user: str = USER, secret: str = SECRET, lasts: int = 300) -> int:
    auth_user, password = sip_ephemeral_credentials(
        username=user, expires_at=int(time.time()) + lasts, secret=secret
    )
    return ws_register(
        ws_url, user=USER, domain=DOMAIN, auth_user=auth_user, password=password, origin=ORIGIN
    )


def test_it_registers_the_browser_with_the_credentials_plugline_issues(
    softphone_kamailio: tuple[RunningKamailio, str], line: Line
):
    kamailio, ws_url = softphone_kamailio

    assert register(ws_url) == 200, kamailio.log()
    binding = kamailio.rpc("ul.lookup", "location", f"{USER}@{DOMAIN}").stdout
    assert "transport=ws" in binding
    # Reached again through the WebSocket it registered over.
    assert "Received: sip:127.0.0.1:" in binding


def test_it_refuses_credentials_that_expired(
    softphone_kamailio: tuple[RunningKamailio, str], line: Line
):
    _kamailio, ws_url = softphone_kamailio

    assert register(ws_url, lasts=-5) == 401


def test_it_refuses_credentials_made_with_another_secret(
    softphone_kamailio: tuple[RunningKamailio, str], line: Line
):
    _kamailio, ws_url = softphone_kamailio

    assert register(ws_url, secret="not-the-shared-secret") == 401


def test_it_refuses_another_lines_credentials(
    softphone_kamailio: tuple[RunningKamailio, str], line: Line
):
    _kamailio, ws_url = softphone_kamailio

    assert register(ws_url, user="12125550100") == 403


def test_it_refuses_a_line_whose_service_ended(
    softphone_kamailio: tuple[RunningKamailio, str], line: Line
):
    _kamailio, ws_url = softphone_kamailio
    assert register(ws_url) == 200
    line.subscription.ends_at = timezone.now() - timedelta(
        days=settings.BILLING_GRACE_DAYS, minutes=1
    )
    line.subscription.save()

    assert register(ws_url) == 403


def test_it_refuses_a_websocket_from_another_origin(
    softphone_kamailio: tuple[RunningKamailio, str], line: Line
):
    _kamailio, ws_url = softphone_kamailio

    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(
            ws_url, subprotocols=["sip"], timeout=20, origin="http://elsewhere.example"
        )


def test_a_phone_still_registers_beside_the_websocket(
    softphone_kamailio: tuple[RunningKamailio, str], line: Line, client: Client
):
    kamailio, _ws_url = softphone_kamailio
    sip = fetch_sip_settings(client, line.boxed).json()

    outcome = sipp_register(
        kamailio,
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        final=200,
    )

    assert outcome.as_expected, outcome.output + kamailio.log()
