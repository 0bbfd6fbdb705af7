"""The minutes ledger: the balance is the sum of its entries; each origin is credited once;
staff adjust it with a reason, audited, and cannot edit or delete an entry."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.billing.models import PaymentKind
from plugline.billing.payments import idempotency_key_new, payment_fee_get_or_create
from plugline.billing.tests.test_pay_race_postgres import visa_on_file
from plugline.core.models import AuditAction, AuditEvent
from plugline.minutes.models import MinutesEntry, MinutesEntryKind
from plugline.minutes.selectors import minutes_balance
from plugline.minutes.services import AdjustmentRefused, minutes_adjustment_add
from plugline.telephony.models import CallOutcome, CallRecord

pytestmark = pytest.mark.django_db


def entry(user: User, kind: str, amount: int, **origin: object) -> MinutesEntry:
    return MinutesEntry.objects.create(
        user=user, kind=kind, amount=amount, currency="USD", **origin
    )


def a_call(callee: str = "+33142685300") -> CallRecord:
    return CallRecord.objects.create(
        call_id=f"call-{callee}-{timezone.now().timestamp()}",
        caller="+12125550147",
        callee=callee,
        started_at=timezone.now(),
        duration_seconds=60,
        outcome=CallOutcome.ANSWERED,
        sip_code="200",
    )


def test_it_sums_the_accounts_own_entries_into_its_balance(
    alice: Subscriber, bob: Subscriber, staff: User
) -> None:
    assert minutes_balance(user=alice.user) == 0
    minutes_adjustment_add(staff=staff, user=alice.user, amount=1000, reason="goodwill")
    entry(alice.user, MinutesEntryKind.CALL_CHARGE, -240, call_record=a_call())
    minutes_adjustment_add(staff=staff, user=bob.user, amount=500, reason="goodwill")
    assert minutes_balance(user=alice.user) == 760
    assert minutes_balance(user=bob.user) == 500


def test_it_credits_a_payment_once(alice: Subscriber) -> None:
    payment, _created = payment_fee_get_or_create(
        user=alice.user,
        kind=PaymentKind.MINUTES_TOP_UP,
        amount=1000,
        payment_method=visa_on_file(alice),
        idempotency_key=idempotency_key_new(),
    )
    entry(alice.user, MinutesEntryKind.TOP_UP, 1000, payment=payment)
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(alice.user, MinutesEntryKind.TOP_UP, 1000, payment=payment)
    assert minutes_balance(user=alice.user) == 1000


def test_it_charges_a_call_once(alice: Subscriber) -> None:
    call = a_call()
    entry(alice.user, MinutesEntryKind.CALL_CHARGE, -120, call_record=call)
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(alice.user, MinutesEntryKind.CALL_CHARGE, -120, call_record=call)
    assert minutes_balance(user=alice.user) == -120


def test_it_refuses_an_adjustment_without_a_reason(alice: Subscriber, staff: User) -> None:
    with pytest.raises(AdjustmentRefused):
        minutes_adjustment_add(staff=staff, user=alice.user, amount=500, reason="  ")
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(alice.user, MinutesEntryKind.ADJUSTMENT, 500)
    assert minutes_balance(user=alice.user) == 0


def test_it_lets_staff_add_an_adjustment_with_a_reason_audited(
    staff_client: Client, staff: User, alice: Subscriber
) -> None:
    response = staff_client.post(
        reverse("admin:minutes_minutesentry_add"),
        {"user": alice.user.pk, "amount_text": "-2.50", "reason": "Call dropped twice"},
    )
    assert response.status_code == 302
    [adjusted] = MinutesEntry.objects.filter(user=alice.user)
    assert (adjusted.kind, adjusted.amount, adjusted.created_by) == ("adjustment", -250, staff)
    assert minutes_balance(user=alice.user) == -250
    event = AuditEvent.objects.get(action=AuditAction.MINUTES_ADJUSTED)
    assert (event.user_id, event.actor_id) == (alice.user.pk, staff.pk)
    assert event.data["reason"] == "Call dropped twice"
    listing = staff_client.get(reverse("admin:minutes_minutesentry_changelist"))
    assert "Call dropped twice" in listing.content.decode()


def test_it_tells_staff_what_is_wrong_with_an_adjustment_and_writes_nothing(
    staff_client: Client, alice: Subscriber
) -> None:
    response = staff_client.post(
        reverse("admin:minutes_minutesentry_add"),
        {"user": alice.user.pk, "amount_text": "1e3", "reason": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter an amount such as 5.00 or -5.00." in page
    assert "This field is required." in page
    assert not MinutesEntry.objects.exists()


def test_it_never_lets_staff_edit_or_delete_an_entry(
    staff_client: Client, staff: User, alice: Subscriber
) -> None:
    adjusted = minutes_adjustment_add(staff=staff, user=alice.user, amount=500, reason="goodwill")
    change_url = reverse("admin:minutes_minutesentry_change", args=[adjusted.pk])
    assert staff_client.get(change_url).status_code == 200  # read-only view
    staff_client.post(change_url, {"user": alice.user.pk, "reason": "edited"})
    delete_url = reverse("admin:minutes_minutesentry_delete", args=[adjusted.pk])
    assert staff_client.post(delete_url, {"post": "yes"}).status_code == 403
    adjusted.refresh_from_db()
    assert (adjusted.amount, adjusted.reason) == (500, "goodwill")


def test_the_data_export_holds_the_balance_the_ledger_and_the_low_balance_settings(
    alice: Subscriber, staff: User, client: Client
) -> None:
    from plugline.minutes.low_balance import low_balance_set

    minutes_adjustment_add(staff=staff, user=alice.user, amount=1000, reason="goodwill")
    entry(alice.user, MinutesEntryKind.CALL_CHARGE, -240, call_record=a_call("+442079460000"))
    low_balance_set(user=alice.user, enabled=True, threshold=200, amount=1000, monthly_cap=5000)
    client.force_login(alice.user)

    exported = client.post(reverse("accounts:data_export")).json()["international_minutes"]

    assert exported["balance"] == 760
    assert [(row["kind"], row["amount"]) for row in exported["entries"]] == [
        ("adjustment", 1000),
        ("call_charge", -240),
    ]
    assert exported["entries"][1]["called"] == "+442079460000"
    assert exported["low_balance_top_up"]["threshold"] == 200


@pytest.mark.parametrize(
    "model", ["minutestopup", "lowbalancesetting", "lowbalanceattempt", "minutesentry"]
)
def test_staff_see_the_top_ups_and_low_balance_rows_read_only(
    staff_client: Client, model: str
) -> None:
    assert staff_client.get(reverse(f"admin:minutes_{model}_changelist")).status_code == 200
    if model != "minutesentry":
        assert staff_client.get(reverse(f"admin:minutes_{model}_add")).status_code == 403
