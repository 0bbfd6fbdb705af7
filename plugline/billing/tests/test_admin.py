"""The operator's billing admin: plans and prices edited and audited; the rest read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.billing.models import PaymentMethod, PaymentStatus, PeriodSource, Plan, PlanPrice
from plugline.billing.services import subscription_add_period, subscription_for_device
from plugline.billing.tests.factories import make_paid_item, make_plan
from plugline.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def plan_form(prices: list[tuple[str, str]], **fields: str) -> dict[str, str]:
    data = {
        "code": "1-year",
        "name": "1 year",
        "months": "12",
        "autorenew_allowed": "on",
        "active": "on",
        "prices-TOTAL_FORMS": str(len(prices)),
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, (currency, amount) in enumerate(prices):
        data[f"prices-{index}-currency"] = currency
        data[f"prices-{index}-amount"] = amount
    return data


def staff_events() -> list[dict]:
    return [
        event.data
        for event in AuditEvent.objects.filter(
            action=AuditAction.BILLING_CHANGED_BY_STAFF
        ).order_by("pk")
    ]


def test_staff_add_a_plan_with_its_prices_and_each_is_audited(staff_client: Client, staff):
    response = staff_client.post(
        "/admin/billing/plan/add/", plan_form([("USD", "4999"), ("CAD", "6499")])
    )
    assert response.status_code == 302, response.content.decode()
    plan = Plan.objects.get(code="1-year")
    assert plan.months == 12 and plan.autorenew_allowed and plan.active
    assert dict(plan.prices.values_list("currency", "amount")) == {"USD": 4999, "CAD": 6499}
    events = AuditEvent.objects.filter(action=AuditAction.BILLING_CHANGED_BY_STAFF)
    assert {event.actor_id for event in events} == {staff.pk}
    data = staff_events()
    assert data[0]["object"] == "plan" and data[0]["change"] == "added"
    assert {(d["currency"], d["amount"]) for d in data[1:]} == {("USD", 4999), ("CAD", 6499)}


def test_staff_change_a_price_and_the_audit_says_from_what_to_what(staff_client: Client):
    plan = make_plan()
    price = plan.prices.get()
    data = plan_form([], name="One year")
    data.update(
        {
            "prices-TOTAL_FORMS": "1",
            "prices-INITIAL_FORMS": "1",
            "prices-0-id": str(price.pk),
            "prices-0-plan": str(plan.pk),
            "prices-0-currency": "USD",
            "prices-0-amount": "5499",
        }
    )
    del data["months"]  # shown, not editable, once the plan exists
    response = staff_client.post(f"/admin/billing/plan/{plan.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()
    price.refresh_from_db()
    assert price.amount == 5499
    events = staff_events()
    assert events[0]["object"] == "plan" and events[0]["fields"] == {"name": "One year"}
    assert events[1]["object"] == "price"
    assert (events[1]["amount"], events[1]["previous_amount"]) == (5499, 4999)


def test_a_plans_length_cannot_change_once_it_exists(staff_client: Client):
    plan = make_plan()
    data = plan_form([], months="1")
    staff_client.post(f"/admin/billing/plan/{plan.pk}/change/", data)
    plan.refresh_from_db()
    assert plan.months == 12


def test_deleting_a_plan_is_audited(staff_client: Client):
    plan = Plan.objects.create(code="old", name="Old", months=3)
    response = staff_client.post(f"/admin/billing/plan/{plan.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Plan.objects.filter(code="old").exists()
    assert staff_events() == [{"object": "plan", "change": "deleted", "plan": "old"}]


def test_the_plan_list_shows_the_prices_formatted(staff_client: Client):
    plan = make_plan()
    PlanPrice.objects.create(plan=plan, currency="DKK", amount=39900)
    page = staff_client.get("/admin/billing/plan/").content.decode()
    assert "$49.99" in page
    assert "DKK399.00" in page


def test_payments_are_listed_read_only_and_found_by_email_or_serial(
    staff_client: Client, alice: Subscriber, bob: Subscriber
):
    plan = make_plan()
    for subscriber in (alice, bob):
        subscription = subscription_for_device(device=subscriber.devices[0])
        make_paid_item(user=subscriber.user, subscription=subscription, plan=plan)
    page = staff_client.get("/admin/billing/payment/").content.decode()
    assert "$49.99" in page
    assert "Visa •••• 4242" in page
    found = staff_client.get("/admin/billing/payment/", {"q": "alice@example.com"})
    assert found.context["cl"].result_count == 1
    found = staff_client.get("/admin/billing/payment/", {"q": bob.devices[0].serial})
    assert found.context["cl"].result_count == 1
    assert staff_client.get("/admin/billing/payment/add/").status_code == 403


def test_a_subscription_shows_its_periods_and_cannot_be_edited(
    staff_client: Client, alice: Subscriber
):
    subscription = subscription_for_device(device=alice.devices[0])
    subscription_add_period(subscription=subscription, months=12, source=PeriodSource.INCLUDED)
    page = staff_client.get(f"/admin/billing/subscription/{subscription.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "included with the device" in html
    assert 'name="ends_at"' not in html  # shown, not editable
    listing = staff_client.get("/admin/billing/subscription/").content.decode()
    assert "active" in listing
    assert (
        staff_client.post(
            f"/admin/billing/subscription/{subscription.pk}/change/",
            {"ends_at_0": "2040-01-01", "ends_at_1": "00:00:00"},
        ).status_code
        == 403
    )
    subscription.refresh_from_db()
    assert subscription.ends_at is not None and subscription.ends_at.year < 2040


def test_cards_are_read_only_without_their_token(staff_client: Client, alice: Subscriber):
    card = PaymentMethod.objects.create(
        user=alice.user,
        gateway="sandbox",
        token="tok_secretish",
        brand="Visa",
        last4="4242",
        exp_month=12,
        exp_year=2034,
        is_default=True,
    )
    html = staff_client.get(f"/admin/billing/paymentmethod/{card.pk}/change/").content.decode()
    assert "4242" in html
    assert "tok_secretish" not in html
    assert staff_client.post(f"/admin/billing/paymentmethod/{card.pk}/delete/").status_code == 403
    assert "12/2034" in staff_client.get("/admin/billing/paymentmethod/").content.decode()


def test_a_paid_payment_links_to_its_refund_page(staff_client: Client, alice: Subscriber):
    subscription = subscription_for_device(device=alice.devices[0])
    paid = make_paid_item(user=alice.user, subscription=subscription, plan=make_plan()).payment
    html = staff_client.get(f"/admin/billing/payment/{paid.pk}/change/").content.decode()
    assert f'href="/admin/billing/payment/{paid.pk}/refund/"' in html
    assert "Refund (up to $49.99)" in html
    declined = make_paid_item(
        user=alice.user,
        subscription=subscription,
        plan=make_plan(),
        status=PaymentStatus.DECLINED,
    ).payment
    html = staff_client.get(f"/admin/billing/payment/{declined.pk}/change/").content.decode()
    assert "/refund/" not in html
