"""The sandbox gateway through Plugline's gateway interface: test cards, idempotency,
timeouts, refunds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client

from plugline.billing.gateways import gateway_get
from plugline.billing.gateways.base import ChargeRequest, GatewayError, Outcome
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.core.tests.racing import needs_postgres
from plugline.sandbox_gateway.models import SandboxCharge, SandboxRefund
from plugline.sandbox_gateway.services import config_set
from plugline.sandbox_gateway.tests.helpers import RETURN_URL, card_page_post, card_saved, customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway() -> SandboxGateway:
    return SandboxGateway()


def charge(gateway: SandboxGateway, customer_id: str, token: str, key: str = "pay-1", amount=2999):
    return gateway.charge(
        customer_id=customer_id,
        token=token,
        amount=amount,
        currency="USD",
        idempotency_key=key,
        description="Plugline yearly plan",
    )


def test_it_is_the_configured_gateway():
    assert gateway_get().name == "sandbox"


def test_it_charges_4242(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242 4242 4242 4242")
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "4242", 12, 2034)
    result = charge(gateway, cus, card.token)
    assert result.outcome == Outcome.SUCCEEDED
    assert result.charge_id.startswith("ch_")
    assert SandboxCharge.objects.get(id=result.charge_id).amount == 2999


def test_it_gives_the_same_card_the_same_fingerprint_and_another_card_another(gateway):
    cus = customer(gateway)
    first = card_saved(gateway, cus, "4242424242424242")
    again = card_saved(gateway, cus, "4242 4242 4242 4242")
    other = card_saved(gateway, cus, "5555555555554444")
    assert first.fingerprint == again.fingerprint != other.fingerprint
    assert first.token != again.token
    assert other.brand == "Mastercard"


def test_it_saves_0002_then_declines_it_hard_when_charged(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4000000000000002")
    result = charge(gateway, cus, card.token)
    assert result.outcome == Outcome.DECLINED
    assert (result.decline_code, result.hard_decline) == ("card_declined", True)


def test_it_refuses_0002_on_a_verifying_card_page(gateway):
    cus = customer(gateway)
    page_url = gateway.card_session_start(customer_id=cus, return_url=RETURN_URL, verify=True)
    response = card_page_post(Client(), page_url, "4000 0000 0000 0002")
    assert response.status_code == 200
    assert "The bank declined this card. Nothing is saved: use another card." in (
        response.content.decode()
    )
    assert not cus_has_cards(cus)


def cus_has_cards(customer_id: str) -> bool:
    from plugline.sandbox_gateway.models import SandboxCard

    return SandboxCard.objects.filter(customer_id=customer_id).exists()


def test_it_verifies_0341_then_declines_its_charges(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4000000000000341", verify=True)
    result = charge(gateway, cus, card.token)
    assert result.outcome == Outcome.DECLINED
    assert result.hard_decline


def test_it_declines_9995_softly_for_insufficient_funds(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4000000000009995", verify=True)
    result = charge(gateway, cus, card.token)
    assert result.outcome == Outcome.DECLINED
    assert (result.decline_code, result.hard_decline) == ("insufficient_funds", False)


def test_it_declines_0069_as_expired(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4000000000000069")
    result = charge(gateway, cus, card.token)
    assert (result.outcome, result.decline_code, result.hard_decline) == (
        Outcome.DECLINED,
        "expired_card",
        True,
    )


def test_it_declines_a_card_that_expired_after_it_was_saved(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242", verify=True)
    with time_machine.travel(datetime(2035, 1, 1, tzinfo=UTC)):
        result = charge(gateway, cus, card.token)
    assert (result.outcome, result.decline_code) == (Outcome.DECLINED, "expired_card")


def test_it_asks_the_cardholder_to_approve_3184_then_succeeds(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4000 0027 6000 3184")
    result = charge(gateway, cus, card.token)
    assert result.outcome == Outcome.REQUIRES_ACTION
    client = Client()
    page = client.get(result.action_url)
    assert "Approve this payment" in page.content.decode()
    assert "29.99 USD" in page.content.decode()
    back = "/billing/checkout/done/"
    answer = client.post(f"{result.action_url}?return_url={back}", {"answer": "approve"})
    assert answer["Location"] == f"{back}?charge={result.charge_id}"
    settled = gateway.charge_lookup(idempotency_key="pay-1")
    assert settled is not None and settled.outcome == Outcome.SUCCEEDED
    # The same key still charges nothing more.
    assert charge(gateway, cus, card.token).outcome == Outcome.SUCCEEDED
    assert SandboxCharge.objects.count() == 1


def test_it_declines_3184_when_the_cardholder_refuses(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4000002760003184")
    result = charge(gateway, cus, card.token)
    response = Client().post(
        f"{result.action_url}?return_url=https://elsewhere.example/", {"answer": "refuse"}
    )
    # Not sent to another site; told on the page.
    assert response.status_code == 200
    assert "Payment refused" in response.content.decode()
    settled = gateway.charge_lookup(idempotency_key="pay-1")
    assert settled is not None
    assert (settled.outcome, settled.decline_code) == (Outcome.DECLINED, "authentication_failed")


def test_it_charges_a_key_once_however_often_it_is_asked(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    results = {charge(gateway, cus, card.token) for _ in range(3)}
    assert len(results) == 1
    assert SandboxCharge.objects.count() == 1
    other = charge(gateway, cus, card.token, key="pay-2")
    assert other.charge_id != results.pop().charge_id


def test_it_refuses_a_key_reused_for_another_amount(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    charge(gateway, cus, card.token)
    with pytest.raises(GatewayError):
        charge(gateway, cus, card.token, amount=1)
    assert SandboxCharge.objects.get().amount == 2999


def test_it_loses_the_answer_of_a_timed_out_charge_which_lookup_then_finds(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    config_set(timeout_rate=1.0)
    with pytest.raises(GatewayError):
        charge(gateway, cus, card.token)
    config_set(timeout_rate=0.0)
    found = gateway.charge_lookup(idempotency_key="pay-1")
    assert found is not None and found.outcome == Outcome.SUCCEEDED
    # Retrying with the same key gives that charge, not a second one.
    assert charge(gateway, cus, card.token).charge_id == found.charge_id
    assert SandboxCharge.objects.count() == 1


def test_it_fails_before_charging_when_the_sandbox_cannot_be_reached(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    config_set(failure_rate=1.0)
    with pytest.raises(GatewayError):
        charge(gateway, cus, card.token)
    config_set(failure_rate=0.0)
    assert gateway.charge_lookup(idempotency_key="pay-1") is None
    assert not SandboxCharge.objects.exists()


def test_it_adds_the_configured_latency(gateway):
    import time

    config_set(latency_ms=150)
    started = time.monotonic()
    gateway.charge_lookup(idempotency_key="nothing")
    assert time.monotonic() - started >= 0.15


def asked(customer_id: str, token: str, key: str, amount: int = 2999) -> ChargeRequest:
    return ChargeRequest(
        customer_id=customer_id,
        token=token,
        amount=amount,
        currency="USD",
        idempotency_key=key,
        description="Plugline yearly plan",
    )


def test_it_charges_several_sent_at_once_each_by_its_key_waiting_the_latency_once(gateway):
    import time

    cus = customer(gateway)
    good = card_saved(gateway, cus, "4242424242424242")
    poor = card_saved(gateway, cus, "4000000000009995")
    config_set(latency_ms=150)
    started = time.monotonic()
    answers = gateway.charges([asked(cus, good.token, f"pay-{n}") for n in range(6)])
    assert 0.15 <= time.monotonic() - started < 0.6
    assert [answer.outcome for answer in answers] == [Outcome.SUCCEEDED] * 6
    assert SandboxCharge.objects.count() == 6
    # Sent again with one more (and a declined one): those charged before are the same.
    config_set(latency_ms=0)
    again = gateway.charges(
        [asked(cus, good.token, f"pay-{n}") for n in range(7)] + [asked(cus, poor.token, "pay-x")]
    )
    assert [answer.charge_id for answer in again[:6]] == [answer.charge_id for answer in answers]
    assert again[6].outcome == Outcome.SUCCEEDED
    assert (again[7].outcome, again[7].decline_code) == (Outcome.DECLINED, "insufficient_funds")
    assert SandboxCharge.objects.count() == 8
    assert charge(gateway, cus, good.token, key="pay-3").charge_id == answers[3].charge_id


def test_it_refuses_in_a_batch_only_the_key_reused_for_another_amount(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    charge(gateway, cus, card.token)
    reused, new = gateway.charges(
        [asked(cus, card.token, "pay-1", amount=1), asked(cus, card.token, "pay-2")]
    )
    assert isinstance(reused, GatewayError)
    assert not isinstance(new, GatewayError) and new.outcome == Outcome.SUCCEEDED
    assert sorted(SandboxCharge.objects.values_list("amount", flat=True)) == [2999, 2999]


def test_it_charges_none_of_a_batch_when_the_sandbox_cannot_be_reached(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    config_set(failure_rate=1.0)
    answers = gateway.charges([asked(cus, card.token, f"pay-{n}") for n in range(3)])
    assert all(isinstance(answer, GatewayError) for answer in answers)
    assert not SandboxCharge.objects.exists()
    config_set(failure_rate=0.0, timeout_rate=1.0)
    lost = gateway.charges([asked(cus, card.token, f"pay-{n}") for n in range(3)])
    assert all(isinstance(answer, GatewayError) for answer in lost)
    # Charged though their answers were lost: a lookup finds each.
    found = gateway.charge_lookup(idempotency_key="pay-2")
    assert found is not None and found.outcome == Outcome.SUCCEEDED
    assert SandboxCharge.objects.count() == 3


def test_it_refunds_part_then_the_rest_and_never_more(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    paid = charge(gateway, cus, card.token)
    part = gateway.refund(charge_id=paid.charge_id, amount=999, idempotency_key="r1", reason="x")
    assert part.succeeded
    too_much = gateway.refund(
        charge_id=paid.charge_id, amount=2001, idempotency_key="r2", reason="x"
    )
    assert not too_much.succeeded
    rest = gateway.refund(charge_id=paid.charge_id, amount=2000, idempotency_key="r3", reason="x")
    assert rest.succeeded
    # The same key again: the same refund, nothing more refunded.
    assert (
        gateway.refund(charge_id=paid.charge_id, amount=2000, idempotency_key="r3", reason="x")
        == rest
    )
    assert SandboxCharge.objects.get().refunded_amount == 2999
    nothing_left = gateway.refund(
        charge_id=paid.charge_id, amount=1, idempotency_key="r4", reason="x"
    )
    assert not nothing_left.succeeded
    assert SandboxRefund.objects.filter(succeeded=True).count() == 2


def test_it_refunds_nothing_of_a_declined_charge(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4000000000000002")
    declined = charge(gateway, cus, card.token)
    refund = gateway.refund(
        charge_id=declined.charge_id, amount=100, idempotency_key="r1", reason="x"
    )
    assert not refund.succeeded


def test_it_gives_a_card_session_only_to_its_customer(gateway):
    alice_id = customer(gateway)
    bob_id = customer(gateway, "bob@example.com")
    page_url = gateway.card_session_start(customer_id=alice_id, return_url=RETURN_URL, verify=False)
    response = card_page_post(Client(), page_url, "4242424242424242")
    session_id = response["Location"].rsplit("session=", 1)[1]
    assert gateway.card_session_result(session_id=session_id, customer_id=bob_id) is None
    assert gateway.card_session_result(session_id=session_id, customer_id=alice_id) is not None


def test_it_declines_a_removed_card(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    gateway.card_remove(customer_id=cus, token=card.token)
    result = charge(gateway, cus, card.token)
    assert (result.outcome, result.hard_decline) == (Outcome.DECLINED, True)


def test_it_creates_a_customer_once_per_key(gateway):
    assert customer(gateway) == customer(gateway)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_it_charges_once_when_eight_requests_race_with_one_key(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    barrier = threading.Barrier(8)
    results: list[object] = []
    errors: list[BaseException] = []

    def pay() -> None:
        try:
            barrier.wait()
            results.append(charge(gateway, cus, card.token, key="race"))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 8 and len(set(results)) == 1
    assert SandboxCharge.objects.filter(idempotency_key="race").count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_it_refunds_no_more_than_the_charge_when_refunds_race(gateway):
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    paid = charge(gateway, cus, card.token)
    barrier = threading.Barrier(6)
    results: list[bool] = []
    errors: list[BaseException] = []

    def refund(n: int) -> None:
        try:
            barrier.wait()
            answer = gateway.refund(
                charge_id=paid.charge_id, amount=2000, idempotency_key=f"r{n}", reason="race"
            )
            results.append(answer.succeeded)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == [False] * 5 + [True]
    assert SandboxCharge.objects.get().refunded_amount == 2000
