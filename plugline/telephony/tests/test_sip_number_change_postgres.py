"""A change of number moves the line at once, with a real Kamailio reading the test
database: the old number's registration is gone within a second of the payment, its next
REGISTER is refused, and the device registers on its new number."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from plugline.billing.models import PaymentStatus
from plugline.billing.number_changes import (
    number_change_choose,
    number_change_fee,
    number_change_pay,
)
from plugline.billing.payments import idempotency_key_new
from plugline.billing.tests.factories import CARD_SUCCEEDS, card_on_file, sandbox_reset
from plugline.devices.models import Device
from plugline.telephony.models import NumberStatus, PhoneNumber
from plugline.telephony.tests.kamailio import RunningKamailio, needs_postgres
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings
from plugline.telephony.tests.test_sip_line_end_postgres import (
    WITHIN,
    is_registered,
    register,
    registered_device,
    seconds_until_unregistered,
)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

NEW = "+13125550199"


@pytest.fixture
def rpc(settings, kamailio: RunningKamailio) -> RunningKamailio:
    settings.KAMAILIO_RPC_URL = kamailio.rpc_url
    return kamailio


def test_the_new_number_registers_and_the_old_ones_registration_is_gone_at_once(
    rpc: RunningKamailio, line: Line, client: Client
):
    sandbox_reset()
    device = Device.objects.get(pk=line.boxed.device.pk)
    owner = device.owner
    assert owner is not None
    PhoneNumber.objects.create(e164=NEW, country="US", area_code="312", city="Chicago")
    card = card_on_file(owner, CARD_SUCCEEDS)
    old = registered_device(rpc, line, client)
    assert number_change_choose(user=owner, device=device, e164=NEW)

    started = time.monotonic()
    answer = number_change_pay(
        user=owner,
        device=device,
        payment_method=card,
        idempotency_key=idempotency_key_new(),
        fee_shown=number_change_fee(),
    )

    assert answer.payment.status == PaymentStatus.SUCCEEDED
    assert seconds_until_unregistered(rpc, old["username"], started) <= WITHIN, rpc.log()
    refused = register(rpc, old, final=403)
    assert refused.as_expected, refused.output + rpc.log()
    new = fetch_sip_settings(client, line.boxed).json()
    assert new["username"] == NEW[1:]
    assert new["password"] == old["password"]  # only the number changed
    outcome = register(rpc, new, final=200)
    assert outcome.as_expected, outcome.output + rpc.log()
    assert is_registered(rpc, new["username"])
    assert not is_registered(rpc, old["username"])
    assert PhoneNumber.objects.get(e164=NEW).status == NumberStatus.ASSIGNED
