"""Two schedulers converting the same ended trials at once, in two processes, on PostgreSQL.

Each trial is charged once and extended once, whichever process claims it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import make_subscriber
from plugline.billing.gateways import gateway_get
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import (
    CustomerAccount,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Subscription,
)
from plugline.billing.tests.factories import make_plan
from plugline.core.tests.racing import (
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)
from plugline.devices.tests.wizard_factory import make_device
from plugline.sandbox_gateway.models import SandboxCharge
from plugline.sandbox_gateway.tests.helpers import card_saved

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

TRIALS = 6


def ended_trial(index: int) -> Subscription:
    """A device whose trial ended a minute ago, with its owner's card from the sandbox."""
    subscriber = make_subscriber(email=f"trial{index}@example.com", numbers=())
    user = subscriber.user
    gateway = gateway_get()
    assert isinstance(gateway, SandboxGateway)
    customer_id = gateway.customer_create(email=user.email, idempotency_key=f"race-{index}")
    CustomerAccount.objects.create(user=user, gateway=gateway.name, gateway_customer_id=customer_id)
    card = card_saved(gateway, customer_id, "4242424242424242", verify=True)
    PaymentMethod.objects.create(
        user=user,
        gateway=gateway.name,
        token=card.token,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        fingerprint=card.fingerprint,
        is_default=True,
    )
    device = make_device(f"PLW3900000{index}")
    device.owner = user
    device.save()
    ended = timezone.now() - timedelta(minutes=1)
    return Subscription.objects.create(
        device=device, plan=make_plan("1-year"), trial_ends_at=ended, ends_at=ended
    )


def test_two_schedulers_converting_at_once_charge_each_trial_once(tmp_path: Path):
    subscriptions = [ended_trial(index) for index in range(TRIALS)]
    workers = [
        worker_start("plugline.billing.tests.trial_race", name, tmp_path) for name in ("a", "b")
    ]
    with workers_stopped_after(workers):
        workers_wait([tmp_path / "ready-a", tmp_path / "ready-b"], workers)
        (tmp_path / "go").touch()
        results = workers_finish(workers)
    tried = []
    for result in results:
        assert result.returncode == 0, result.err
        tried.append(int(result.out.strip()))
    assert sum(tried) == TRIALS
    assert SandboxCharge.objects.count() == TRIALS
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == TRIALS
    for subscription in subscriptions:
        subscription.refresh_from_db()
        assert subscription.periods.count() == 1
        assert subscription.ends_at is not None
        assert subscription.ends_at > timezone.now() + timedelta(days=360)
