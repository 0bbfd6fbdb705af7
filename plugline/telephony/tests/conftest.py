"""Kamailio for the telephony tests that run it (PostgreSQL only), and a subscriber's line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from conftest import make_subscriber
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    ROLE,
    RunningKamailio,
    role_dsn,
    role_password,
    running_kamailio,
)
from plugline.telephony.tests.sip_factory import Line, make_line


@pytest.fixture(scope="module")
def kamailio(django_db_setup: None, django_db_blocker) -> Iterator[RunningKamailio]:
    """Kamailio on free ports, reading the test database as the read-only role."""
    with django_db_blocker.unblock():
        sip_database_role_grant(connection, role=ROLE, password=role_password())
        dsn = role_dsn()
    with running_kamailio(db_url=dsn, domain=DOMAIN) as running:
        yield running


@pytest.fixture
def line(settings) -> Line:
    """Alice's device with a paid line, on the tests' SIP domain."""
    settings.SIP_DOMAIN = DOMAIN
    return make_line(make_subscriber(numbers=()).user)
