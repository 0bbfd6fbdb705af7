"""Subscriptions: extended by a payment exactly once, from the right date; included months."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError
from django.test import Client

from conftest import Subscriber
from plugline.billing.models import (
    PaymentStatus,
    PeriodSource,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.periods import SubscriptionStatus
from plugline.billing.selectors import subscriptions_for_devices
from plugline.billing.services import (
    subscription_add_included_period,
    subscription_add_period,
    subscription_apply_payment_item,
    subscription_for_device,
)
from plugline.billing.tests.factories import make_paid_item, make_plan
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Activation, Device, DeviceModel
from plugline.devices.services import device_model_default
from plugline.devices.signals import device_activated
from plugline.devices.tests.test_activate_code import at_code_step
from plugline.devices.tests.wizard_factory import make_device, make_numbers

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def subscription_ending(device: Device, ends_at: dt.datetime | None) -> Subscription:
    subscription = subscription_for_device(device=device)
    subscription.ends_at = ends_at
    subscription.save()
    return subscription


def test_it_gives_a_device_one_subscription(alice: Subscriber):
    device = alice.devices[0]
    first = subscription_for_device(device=device)
    assert subscription_for_device(device=device) == first
    assert first.ends_at is None
    assert Subscription.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_it_extends_a_running_subscription_from_its_end_date(alice: Subscriber):
    subscription = subscription_ending(
        alice.devices[0], dt.datetime(2026, 12, 19, 8, tzinfo=dt.UTC)
    )
    item = make_paid_item(user=alice.user, subscription=subscription, plan=make_plan())
    period = subscription_apply_payment_item(item=item)
    assert period.starts_at == dt.datetime(2026, 12, 19, 8, tzinfo=dt.UTC)
    assert period.ends_at == dt.datetime(2027, 12, 19, 8, tzinfo=dt.UTC)
    assert period.source == PeriodSource.PAYMENT
    subscription.refresh_from_db()
    assert subscription.ends_at == period.ends_at
    assert subscription.plan is not None and subscription.plan.code == "1-year"


@time_machine.travel(NOW, tick=False)
def test_it_extends_an_expired_subscription_from_now(alice: Subscriber):
    subscription = subscription_ending(alice.devices[0], dt.datetime(2026, 1, 31, tzinfo=dt.UTC))
    item = make_paid_item(
        user=alice.user, subscription=subscription, plan=make_plan("5-years", months=60)
    )
    period = subscription_apply_payment_item(item=item)
    assert period.starts_at == NOW
    assert period.ends_at == dt.datetime(2031, 11, 29, 12, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_it_extends_once_however_often_the_same_payment_is_applied(alice: Subscriber):
    subscription = subscription_ending(alice.devices[0], dt.datetime(2026, 12, 19, tzinfo=dt.UTC))
    item = make_paid_item(user=alice.user, subscription=subscription, plan=make_plan())
    first = subscription_apply_payment_item(item=item)
    again = subscription_apply_payment_item(item=item)
    assert again == first
    subscription.refresh_from_db()
    assert subscription.ends_at == dt.datetime(2027, 12, 19, tzinfo=dt.UTC)
    assert SubscriptionPeriod.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_EXTENDED).count() == 1


def test_the_database_refuses_a_second_period_for_one_payment_item(alice: Subscriber):
    subscription = subscription_for_device(device=alice.devices[0])
    item = make_paid_item(user=alice.user, subscription=subscription, plan=make_plan())
    subscription_apply_payment_item(item=item)
    with pytest.raises(IntegrityError):
        SubscriptionPeriod.objects.create(
            subscription=subscription,
            starts_at=NOW,
            ends_at=NOW + dt.timedelta(days=1),
            source=PeriodSource.PAYMENT,
            payment_item=item,
        )


@pytest.mark.parametrize(
    "status", [PaymentStatus.PENDING, PaymentStatus.DECLINED, PaymentStatus.UNKNOWN]
)
def test_it_applies_only_payments_that_succeeded(alice: Subscriber, status):
    subscription = subscription_for_device(device=alice.devices[0])
    item = make_paid_item(
        user=alice.user, subscription=subscription, plan=make_plan(), status=status
    )
    with pytest.raises(ValueError, match="has not succeeded"):
        subscription_apply_payment_item(item=item)
    subscription.refresh_from_db()
    assert subscription.ends_at is None
    assert not SubscriptionPeriod.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_renewing_one_device_leaves_the_other_alone(bob: Subscriber):
    kitchen, cottage = bob.devices
    ends = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    kitchen_subscription = subscription_ending(kitchen, ends)
    subscription_ending(cottage, ends)
    item = make_paid_item(user=bob.user, subscription=kitchen_subscription, plan=make_plan())
    subscription_apply_payment_item(item=item)
    services = subscriptions_for_devices([kitchen, cottage])
    assert services[kitchen.pk].ends_at == dt.datetime(2028, 3, 1, tzinfo=dt.UTC)
    assert services[cottage.pk].ends_at == ends


@time_machine.travel(NOW, tick=False)
def test_staff_can_add_months_and_it_is_audited_with_the_staff_member(
    alice: Subscriber, django_user_model
):
    staff = django_user_model.objects.create_user("sam@example.com", "pw", is_staff=True)
    subscription = subscription_ending(alice.devices[0], None)
    period = subscription_add_period(
        subscription=subscription, months=2, source=PeriodSource.STAFF, actor=staff
    )
    assert (period.starts_at, period.ends_at) == (NOW, dt.datetime(2027, 1, 29, 12, tzinfo=dt.UTC))
    event = AuditEvent.objects.get(action=AuditAction.SUBSCRIPTION_EXTENDED)
    assert event.actor_id == staff.pk
    assert event.user_id == alice.user.pk
    assert event.data["serial"] == alice.devices[0].serial
    assert event.data["source"] == "staff"
    assert event.data["months"] == 2
    with pytest.raises(ValueError, match="paid periods"):
        subscription_add_period(subscription=subscription, months=12, source=PeriodSource.PAYMENT)


@time_machine.travel(NOW, tick=False)
def test_it_summarises_each_devices_service_with_its_status(bob: Subscriber, settings):
    settings.BILLING_GRACE_DAYS = 7
    kitchen, cottage = bob.devices
    third = make_device("PLW20000003")
    subscription_ending(kitchen, NOW - dt.timedelta(days=3))
    subscription_ending(cottage, NOW - dt.timedelta(days=30))
    services = subscriptions_for_devices([kitchen, cottage, third])
    assert services[kitchen.pk].status is SubscriptionStatus.GRACE
    assert not services[kitchen.pk].reactivate
    assert services[cottage.pk].status is SubscriptionStatus.EXPIRED
    assert services[cottage.pk].reactivate
    assert services[third.pk].status is SubscriptionStatus.EXPIRED
    assert services[third.pk].ends_at is None


def included_model(months: int = 12) -> DeviceModel:
    model = device_model_default()
    model.included_months = months
    model.save()
    return model


def activate(client: Client, device: Device) -> Device:
    numbers = make_numbers("212", count=1)
    code = at_code_step(client, device=device, number=numbers[0])
    assert client.post("/activate/code/", {"code": code})["Location"] == "/activate/done/"
    return Device.objects.get(pk=device.pk)


@time_machine.travel(NOW, tick=False)
def test_a_device_activated_from_a_store_starts_with_its_included_year(
    client: Client, django_capture_on_commit_callbacks
):
    included_model(12)
    with django_capture_on_commit_callbacks(execute=True):
        device = activate(client, make_device("PLW20000001"))
    subscription = Subscription.objects.get(device=device)
    assert subscription.ends_at == dt.datetime(2027, 11, 29, 12, tzinfo=dt.UTC)
    period = subscription.periods.get()
    assert period.source == PeriodSource.INCLUDED
    event = AuditEvent.objects.get(action=AuditAction.SUBSCRIPTION_EXTENDED)
    assert event.user_id == device.owner_id


def test_a_model_without_included_months_starts_with_none(
    client: Client, django_capture_on_commit_callbacks
):
    included_model(0)
    with django_capture_on_commit_callbacks(execute=True):
        device = activate(client, make_device("PLW20000001"))
    assert device.status == "active"
    assert not SubscriptionPeriod.objects.filter(subscription__device=device).exists()


def test_a_device_bought_online_starts_with_none(alice: Subscriber):
    included_model(12)
    device = alice.devices[0]
    device_activated.send(
        sender=Activation, device=device, user=alice.user, purchase_channel="online"
    )
    assert not SubscriptionPeriod.objects.filter(subscription__device=device).exists()
    device_activated.send(
        sender=Activation, device=device, user=alice.user, purchase_channel="store"
    )
    assert SubscriptionPeriod.objects.get(subscription__device=device).source == "included"


@time_machine.travel(NOW, tick=False)
def test_a_device_includes_its_months_once_even_if_activated_again(
    client: Client, django_capture_on_commit_callbacks
):
    included_model(12)
    with django_capture_on_commit_callbacks(execute=True):
        device = activate(client, make_device("PLW20000001"))
    # Released, then activated again by someone else: the included year was used.
    assert subscription_add_included_period(device=device) is None
    subscription = Subscription.objects.get(device=device)
    assert subscription.ends_at == dt.datetime(2027, 11, 29, 12, tzinfo=dt.UTC)
    assert subscription.periods.count() == 1
