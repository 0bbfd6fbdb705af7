"""A real REGISTER: Kamailio with the repository's configuration reads the test database
through the read-only role, and sipp registers with the credentials the device fetched."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from plugline.devices.tests.presence_factory import make_boxed_device
from plugline.devices.tests.test_activate_code import at_code_step
from plugline.devices.tests.wizard_factory import make_numbers
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    ROLE,
    RunningKamailio,
    needs_postgres,
    role_dsn,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def register(kamailio: RunningKamailio, sip: dict[str, str], *, final: int):
    return sipp_register(
        kamailio,
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        final=final,
    )


def test_a_device_registers_with_the_credentials_it_fetched(
    kamailio: RunningKamailio, line: Line, client: Client
):
    sip = fetch_sip_settings(client, line.boxed).json()

    outcome = register(kamailio, sip, final=200)

    assert outcome.as_expected, outcome.output + kamailio.log()
    bindings = kamailio.rpc("ul.dump", "brief")
    assert f"{sip['username']}@{DOMAIN}" in bindings.stdout


def test_a_device_activated_through_the_wizard_registers(
    kamailio: RunningKamailio, client: Client, settings
):
    settings.SIP_DOMAIN = DOMAIN
    boxed = make_boxed_device("PLW20000001")
    model = boxed.device.model
    model.included_months = 12
    model.save()
    code = at_code_step(client, number=make_numbers("212", count=1)[0], device=boxed.device)
    assert client.post("/activate/code/", {"code": code})["Location"] == "/activate/done/"

    sip = fetch_sip_settings(Client(), boxed).json()

    assert sip["username"] == "12125550110"
    outcome = register(kamailio, sip, final=200)
    assert outcome.as_expected, outcome.output + kamailio.log()


def test_a_wrong_password_is_refused(kamailio: RunningKamailio, line: Line, client: Client):
    sip = fetch_sip_settings(client, line.boxed).json()
    sip["password"] = sip["password"][:-1] + ("a" if sip["password"][-1] != "a" else "b")

    outcome = register(kamailio, sip, final=401)

    assert outcome.as_expected, outcome.output + kamailio.log()


def test_the_next_register_after_the_service_and_its_grace_ended_is_refused(
    kamailio: RunningKamailio, line: Line, client: Client
):
    sip = fetch_sip_settings(client, line.boxed).json()
    assert register(kamailio, sip, final=200).as_expected
    # Kamailio compares with the database's clock: the end date moves instead.
    line.subscription.ends_at = timezone.now() - timedelta(
        days=settings.BILLING_GRACE_DAYS, minutes=1
    )
    line.subscription.save()

    outcome = register(kamailio, sip, final=403)

    assert outcome.as_expected, outcome.output + kamailio.log()


def test_a_register_after_rotation_needs_the_new_password(
    kamailio: RunningKamailio, line: Line, client: Client, staff_client: Client
):
    from plugline.telephony.models import SipAccount

    old = fetch_sip_settings(client, line.boxed).json()
    staff_client.post(
        "/admin/telephony/sipaccount/",
        {"action": "rotate_credentials", "_selected_action": [SipAccount.objects.get().pk]},
    )
    new = fetch_sip_settings(client, line.boxed).json()

    assert register(kamailio, old, final=401).as_expected
    outcome = register(kamailio, new, final=200)
    assert outcome.as_expected, outcome.output + kamailio.log()


def test_kamailios_role_reads_the_view_and_nothing_else(kamailio: RunningKamailio, line: Line):
    with psycopg.connect(role_dsn()) as conn:
        assert conn.execute("SELECT count(*) FROM sip_subscriber").fetchone() == (1,)
        assert conn.execute(
            "SELECT table_version FROM kamailio_version WHERE table_name = 'sip_subscriber'"
        ).fetchone() == (7,)
        for table in ("telephony_sipaccount", "devices_device", "accounts_user"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table}")  # noqa: S608 (a fixed table name)
            conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE kamailio_version SET table_version = 8")


def test_only_kamailios_role_may_ask_whether_a_line_is_open(kamailio: RunningKamailio, line: Line):
    # sip_subscriber asks a function that runs with its owner's rights: not for everyone.
    privilege = "SELECT has_function_privilege(%s, 'sip_account_line_open(bigint)', 'EXECUTE')"
    with connection.cursor() as cursor:
        cursor.execute(privilege, ["public"])
        assert cursor.fetchone() == (False,)
        cursor.execute(privilege, [ROLE])
        assert cursor.fetchone() == (True,)


def test_the_roles_command_grants_kamailio_the_view(kamailio: RunningKamailio, line: Line):
    out = StringIO()

    call_command("sip_database_roles", "--role", ROLE, stdout=out)

    assert f"Role {ROLE} updated: SELECT on sip_subscriber only." in out.getvalue()
    with psycopg.connect(role_dsn()) as conn:
        assert conn.execute("SELECT username FROM sip_subscriber").fetchone() == ("12125550147",)


def test_the_roles_command_refuses_a_role_name_that_is_not_plain():
    with pytest.raises(CommandError, match="not a plain role name"):
        call_command("sip_database_roles", "--role", "kamailio; DROP TABLE x", stdout=StringIO())
