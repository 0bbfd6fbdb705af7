"""Changing a device's number: the fee is charged once, the line moves at once, the old
number rests in quarantine; a declined card changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from conftest import Subscriber
from plugline.billing.gateways.base import ChargeResult, Outcome
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import (
    NumberChange,
    NumberChangeStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from plugline.billing.number_changes import (
    NumberChangeRefused,
    number_change_choose,
    number_change_holder,
    number_change_pay,
)
from plugline.billing.payments import idempotency_key_new, payment_record
from plugline.billing.receipts import invoice_lines
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    CARD_NEEDS_AUTHENTICATION,
    CARD_SUCCEEDS,
    card_on_file,
    subscription_make,
)
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Device
from plugline.notifications.models import OutboxMessage
from plugline.telephony import lines
from plugline.telephony.models import NumberStatus, PhoneNumber, SipAccount

OLD = "+12125550147"  # alice's number (conftest)
NEW = "+13125550199"
FEE = 1500


@pytest.fixture(autouse=True)
def _fee(settings) -> None:
    settings.NUMBER_CHANGE_FEE = FEE
    settings.NUMBER_QUARANTINE_DAYS = 90


@pytest.fixture
def inventory(db: None) -> None:
    PhoneNumber.objects.create(
        e164=OLD, country="US", area_code="212", city="New York", status=NumberStatus.ASSIGNED
    )
    PhoneNumber.objects.create(e164=NEW, country="US", area_code="312", city="Chicago")


def device_of(subscriber: Subscriber) -> Device:
    return Device.objects.get(pk=subscriber.devices[0].pk)


def pay(subscriber: Subscriber, card, key: str = "", fee: int = FEE):
    return number_change_pay(
        user=subscriber.user,
        device=device_of(subscriber),
        payment_method=card,
        idempotency_key=key or idempotency_key_new(),
        fee_shown=fee,
    )


def test_it_charges_the_fee_once_when_the_same_form_is_sent_twice(
    alice: Subscriber, inventory: None, gateway: SandboxGateway, charges_asked: list[str]
) -> None:
    card = card_on_file(alice.user, CARD_SUCCEEDS)
    assert number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    key = idempotency_key_new()

    first = pay(alice, card, key)
    second = pay(alice, card, key)

    assert first.payment.pk == second.payment.pk
    assert first.payment.status == PaymentStatus.SUCCEEDED
    assert first.payment.amount == FEE
    assert first.payment.kind == PaymentKind.NUMBER_CHANGE
    assert charges_asked == [key]
    assert Payment.objects.count() == 1
    assert NumberChange.objects.get().status == NumberChangeStatus.APPLIED


def test_it_moves_the_line_to_the_new_number_and_quarantines_the_old_one(
    alice: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    card = card_on_file(alice.user, CARD_SUCCEEDS)
    password_before = SipAccount.objects.get(device=device_of(alice))
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)

    pay(alice, card)

    assert device_of(alice).phone_number == NEW
    account = SipAccount.objects.get(device=device_of(alice))
    assert account.username == "13125550199"
    assert account.ha1 != password_before.ha1  # the hash is of the new user
    assert account.generation == password_before.generation  # the same password
    old = PhoneNumber.objects.get(e164=OLD)
    assert old.status == NumberStatus.QUARANTINED
    assert old.quarantined_until is not None
    assert old.quarantined_until > timezone.now() + timedelta(days=89)
    new = PhoneNumber.objects.get(e164=NEW)
    assert (new.status, new.reserved_for) == (NumberStatus.ASSIGNED, "")


def test_the_view_kamailio_reads_lists_the_new_number_and_not_the_old_one(
    alice: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    subscription_make(device_of(alice), days_left=30)
    card = card_on_file(alice.user, CARD_SUCCEEDS)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)

    def listed() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT username FROM sip_subscriber")
            return {row[0] for row in cursor.fetchall()}

    assert listed() == {"12125550147"}
    pay(alice, card)
    assert listed() == {"13125550199"}


def test_it_ends_the_old_numbers_registrations_once_the_change_commits(
    alice: Subscriber,
    inventory: None,
    gateway: SandboxGateway,
    settings,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    settings.KAMAILIO_RPC_URL = "http://127.0.0.1:9/RPC"
    ended: list[str] = []
    monkeypatch.setattr(lines, "sip_registrations_remove", lambda *, aor: ended.append(aor))
    card = card_on_file(alice.user, CARD_SUCCEEDS)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)

    with django_capture_on_commit_callbacks(execute=True):
        pay(alice, card)

    assert ended == [f"12125550147@{settings.SIP_DOMAIN}"]


def test_it_audits_the_change_and_emails_a_confirmation_and_the_receipt(
    alice: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    card = card_on_file(alice.user, CARD_SUCCEEDS)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)

    answer = pay(alice, card)

    event = AuditEvent.objects.get(action=AuditAction.NUMBER_CHANGED)
    assert event.user_id == alice.user.pk
    assert event.data["old_number"] == OLD
    assert event.data["new_number"] == NEW
    assert not {"password", "ha1", "ha1b", "token"} & set(event.data)
    confirmation = OutboxMessage.objects.get(template="billing/email/number_changed")
    assert confirmation.to_email == alice.email
    assert "(312) 555-0199" in confirmation.subject
    assert "(212) 555-0147" in confirmation.body_text
    assert "90 days" in confirmation.body_text
    receipt = OutboxMessage.objects.get(template="billing/email/receipt")
    assert "$15.00" in receipt.body_text
    assert "(312) 555-0199" in receipt.body_text
    assert [line.plan for line in invoice_lines(answer.payment)] == [
        "Change of number: (212) 555-0147 to (312) 555-0199"
    ]


def test_it_confirms_in_the_subscribers_language(
    bob: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    card = card_on_file(bob.user, CARD_SUCCEEDS)
    number_change_choose(user=bob.user, device=device_of(bob), e164=NEW)

    pay(bob, card)

    confirmation = OutboxMessage.objects.get(template="billing/email/number_changed")
    assert "Votre nouveau numéro" in confirmation.subject


def test_a_declined_card_changes_nothing_and_keeps_the_number_held_for_a_retry(
    alice: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    declined = card_on_file(alice.user, CARD_DECLINED_WHEN_CHARGED)
    account_before = SipAccount.objects.get(device=device_of(alice))
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)

    answer = pay(alice, declined)

    assert answer.payment.status == PaymentStatus.DECLINED
    assert device_of(alice).phone_number == OLD
    account = SipAccount.objects.get(device=device_of(alice))
    assert (account.username, account.ha1) == (account_before.username, account_before.ha1)
    assert PhoneNumber.objects.get(e164=OLD).status == NumberStatus.ASSIGNED
    held = PhoneNumber.objects.get(e164=NEW)
    assert held.status == NumberStatus.RESERVED
    assert held.reserved_for == number_change_holder(device_of(alice), alice.user.pk)
    assert held.reserved_until is not None and held.reserved_until > timezone.now()
    assert NumberChange.objects.get().status == NumberChangeStatus.DECLINED
    assert not AuditEvent.objects.filter(action=AuditAction.NUMBER_CHANGED).exists()
    assert not OutboxMessage.objects.filter(template="billing/email/number_changed").exists()

    # The subscriber tries again with another card: the held number is theirs.
    again = pay(alice, card_on_file(alice.user, CARD_SUCCEEDS))
    assert again.payment.status == PaymentStatus.SUCCEEDED
    assert device_of(alice).phone_number == NEW


def test_it_refuses_another_change_while_one_waits_for_its_payment(
    alice: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    card = card_on_file(alice.user, CARD_NEEDS_AUTHENTICATION)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    waiting = pay(alice, card)
    assert waiting.payment.status == PaymentStatus.REQUIRES_ACTION

    with pytest.raises(NumberChangeRefused) as refused:
        pay(alice, card)
    assert refused.value.reason == "pending"
    with pytest.raises(NumberChangeRefused):
        number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    assert Payment.objects.count() == 1


def test_it_applies_a_success_recorded_twice_only_once(
    alice: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    card = card_on_file(alice.user, CARD_NEEDS_AUTHENTICATION)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    payment = pay(alice, card).payment

    success = ChargeResult(outcome=Outcome.SUCCEEDED, charge_id="ch_test")
    payment_record(payment=payment, result=success)
    payment_record(payment=payment, result=success)

    assert device_of(alice).phone_number == NEW
    assert AuditEvent.objects.filter(action=AuditAction.NUMBER_CHANGED).count() == 1
    assert OutboxMessage.objects.filter(template="billing/email/number_changed").count() == 1


def test_it_refuses_a_fee_other_than_the_one_shown(
    alice: Subscriber, inventory: None, gateway: SandboxGateway, charges_asked: list[str]
) -> None:
    card = card_on_file(alice.user, CARD_SUCCEEDS)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)

    with pytest.raises(NumberChangeRefused) as refused:
        pay(alice, card, fee=FEE - 1)

    assert refused.value.reason == "fee_changed"
    assert charges_asked == []
    assert device_of(alice).phone_number == OLD


def test_it_refuses_to_change_someone_elses_device(
    alice: Subscriber, bob: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    with pytest.raises(NumberChangeRefused) as refused:
        number_change_choose(user=bob.user, device=device_of(alice), e164=NEW)
    assert refused.value.reason == "not_allowed"
    assert PhoneNumber.objects.get(e164=NEW).status == NumberStatus.AVAILABLE


def test_it_does_not_move_a_line_whose_device_left_its_number_meanwhile(
    alice: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    from plugline.devices.services import device_release

    card = card_on_file(alice.user, CARD_NEEDS_AUTHENTICATION)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    payment = pay(alice, card).payment
    device_release(device=device_of(alice), keep_number=False)

    payment_record(payment=payment, result=ChargeResult(outcome=Outcome.SUCCEEDED))

    assert NumberChange.objects.get().status == NumberChangeStatus.FAILED
    assert device_of(alice).phone_number is None
    assert PhoneNumber.objects.get(e164=NEW).status == NumberStatus.RESERVED


def test_staff_find_a_failed_change_and_its_payment_in_the_admin(
    alice: Subscriber, inventory: None, gateway: SandboxGateway, staff_client
) -> None:
    from plugline.devices.services import device_release

    card = card_on_file(alice.user, CARD_NEEDS_AUTHENTICATION)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    payment = pay(alice, card).payment
    device_release(device=device_of(alice), keep_number=False)
    payment_record(payment=payment, result=ChargeResult(outcome=Outcome.SUCCEEDED))

    listed = staff_client.get("/admin/billing/numberchange/", {"status": "failed"})
    assert listed.status_code == 200
    assert NEW in listed.content.decode()
    page = staff_client.get(f"/admin/billing/payment/{payment.pk}/change/").content.decode()
    assert NEW in page
    assert "Refund (up to $15.00)" in page


def test_the_data_export_says_what_a_change_of_number_paid_for(
    alice: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    from plugline.billing.selectors import billing_export

    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    pay(alice, card_on_file(alice.user, CARD_SUCCEEDS))

    [exported] = billing_export(alice.user)["payments"]
    assert exported["kind"] == "number_change"
    assert exported["number_change"] == {
        "old_number": OLD,
        "new_number": NEW,
        "status": "applied",
    }


def test_a_change_paid_late_never_moves_the_line_of_the_devices_next_owner(
    alice: Subscriber, bob: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    from plugline.devices.services import device_assign, device_release

    card = card_on_file(alice.user, CARD_NEEDS_AUTHENTICATION)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    payment = pay(alice, card).payment
    # Alice releases the device with its number; Bob activates it on his account.
    device_release(device=device_of(alice), keep_number=True)
    device_assign(serial=device_of(alice).serial, owner=bob.user, phone_number=OLD)

    payment_record(payment=payment, result=ChargeResult(outcome=Outcome.SUCCEEDED))

    assert device_of(alice).phone_number == OLD
    assert SipAccount.objects.get(device=device_of(alice)).username == OLD[1:]
    assert NumberChange.objects.get().status == NumberChangeStatus.FAILED


def test_the_devices_next_owner_can_change_its_number_while_the_last_owners_change_waits(
    alice: Subscriber, bob: Subscriber, inventory: None, gateway: SandboxGateway
) -> None:
    from plugline.devices.services import device_assign, device_release

    card = card_on_file(alice.user, CARD_NEEDS_AUTHENTICATION)
    number_change_choose(user=alice.user, device=device_of(alice), e164=NEW)
    alices = pay(alice, card).payment  # waits for Alice's bank
    device_release(device=device_of(alice), keep_number=True)
    device_assign(serial=device_of(alice).serial, owner=bob.user, phone_number=OLD)
    PhoneNumber.objects.create(e164="+13125550100", country="US", area_code="312", city="Chicago")
    bobs_device = Device.objects.get(pk=alice.devices[0].pk)

    assert number_change_choose(user=bob.user, device=bobs_device, e164="+13125550100")
    bobs = number_change_pay(
        user=bob.user,
        device=bobs_device,
        payment_method=card_on_file(bob.user, CARD_SUCCEEDS),
        idempotency_key=idempotency_key_new(),
        fee_shown=FEE,
    )
    # Alice's bank declines at last: nothing of hers is held for the device any more.
    payment_record(payment=alices, result=ChargeResult(outcome=Outcome.DECLINED))

    assert bobs.payment.status == PaymentStatus.SUCCEEDED
    assert device_of(alice).phone_number == "+13125550100"
    assert PhoneNumber.objects.get(e164=NEW).reserved_for != number_change_holder(bobs_device)
