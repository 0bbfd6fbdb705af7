"""The free trial: "Start Trial", its sign-up with a checked card, its start, cancel, conversion."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from plugline.billing.models import (
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    PeriodSource,
    Subscription,
)
from plugline.billing.periods import SubscriptionStatus, add_months, subscription_status
from plugline.billing.tests.factories import make_plan
from plugline.billing.trials import trial_conversions_run
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.keys import label_code_generate, label_code_hash
from plugline.devices.models import Activation, Device, DeviceStatus
from plugline.devices.tests.wizard_factory import (
    NEW_PASSWORD,
    NEW_YORK,
    last_code,
    make_device,
    make_numbers,
)
from plugline.devices.wizard.state import SESSION_KEY
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway.models import SandboxCharge
from plugline.telephony.models import PhoneNumber

pytestmark = pytest.mark.django_db

VISA = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"
START = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def start_trial(client: Client, device: Device) -> Activation:
    """ "Start Trial" on the sign-in page, then step 1's serial and label code."""
    response = client.get("/trial/")
    assert response["Location"] == "/activate/?trial=1"
    code = label_code_generate()
    device.label_code_hash = label_code_hash(serial=device.serial, code=code)
    device.save(update_fields=["label_code_hash"])
    response = client.post(response["Location"], {"serial": device.serial, "label_code": code})
    assert response["Location"] == "/activate/", response.content.decode()
    activation = Activation.objects.get(pk=client.session[SESSION_KEY])
    assert activation.trial and activation.device == device
    return activation


def give_card(client: Client, number: str = VISA, plan: str = "1-year"):
    """The sign-up: a plan, then the card typed on the sandbox's page; the page after."""
    response = client.post("/trial/signup/", {"plan": plan, "action": "card"})
    assert response.status_code == 302, response.content.decode()
    card_page = response["Location"]
    assert card_page.startswith("/sandbox-gateway/card/")
    response = client.post(
        card_page, {"number": number, "expiry": "12/34", "cvc": "123", "name": "Nina New"}
    )
    assert response.status_code == 302, response.content.decode()
    return client.get(_local(response["Location"]), follow=True)


def sign_up(client: Client, device: Device, *, number: str = VISA, email: str = "nina@example.com"):
    """Every step of the trial's wizard up to the code; the code emailed."""
    start_trial(client, device)
    assert client.get("/activate/purchase/")["Location"] == "/trial/signup/"
    page = give_card(client, number).content.decode()
    assert "checked and saved" in page, page
    assert client.post("/trial/signup/", {"plan": "1-year", "action": "next"})["Location"] == (
        "/activate/account/"
    )
    response = client.post(
        "/activate/account/",
        {
            "first_name": "Nina",
            "last_name": "New",
            "email": email,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response["Location"] == "/activate/addresses/", response.content.decode()
    # Addresses and number: as their own tests do them.
    activation = Activation.objects.get(pk=client.session[SESSION_KEY])
    activation.contact_address = dict(NEW_YORK)
    activation.e911_address = dict(NEW_YORK)
    activation.save()
    response = client.post("/activate/number/", {"number": _free_number()})
    assert response["Location"] == "/activate/terms/"
    assert client.post("/activate/terms/", {"accept": "on"})["Location"] == "/activate/code/"
    return last_code(email)


def _free_number() -> str:
    """A new free number in New York."""
    taken = PhoneNumber.objects.count()
    return make_numbers("212", count=taken + 1)[-1] if not taken else _another(taken)


def _another(taken: int) -> str:
    e164 = f"+121255502{taken:02d}"
    PhoneNumber.objects.create(
        e164=e164, country="US", area_code="212", city="New York", region="NY"
    )
    return e164


def activate_trial(client: Client, device: Device, **kwargs) -> Subscription:
    code = sign_up(client, device, **kwargs)
    response = client.post("/activate/code/", {"code": code})
    assert response["Location"] == "/activate/done/", response.content.decode()
    return Subscription.objects.get(device=device)


@pytest.fixture
def plan(db):
    return make_plan("1-year", usd=4999)


@time_machine.travel(START, tick=False)
def test_it_starts_a_trial_with_the_device_active_and_the_card_on_file(client: Client, plan):
    device = make_device("PLW30000001")
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/trial/"' in page and "Start Trial" in page
    subscription = activate_trial(client, device)
    device.refresh_from_db()
    assert device.status == DeviceStatus.ACTIVE and device.phone_number
    owner = device.owner
    assert owner is not None and owner.email == "nina@example.com"
    assert subscription.trial_ends_at == START + timedelta(days=30)
    assert subscription.ends_at == subscription.trial_ends_at
    assert subscription.plan == plan and not subscription.autorenew
    assert (
        subscription_status(subscription.ends_at, subscription.trial_ends_at, timezone.now(), 7)
        is SubscriptionStatus.TRIAL
    )
    assert subscription.periods.get().source == PeriodSource.TRIAL
    card = PaymentMethod.objects.get(user=owner)
    assert (card.brand, card.last4, card.is_default) == ("Visa", "4242", True)
    assert not SandboxCharge.objects.exists()  # checked, not charged
    assert Activation.objects.get().trial_signup == {"plan": "1-year"}  # the token left
    event = AuditEvent.objects.get(action=AuditAction.TRIAL_STARTED)
    assert event.user == owner and event.data["plan"] == "1-year"
    email = OutboxMessage.objects.get(template="billing/email/trial_started")
    assert "$49.99" in email.body_text and "Dec. 1, 2026" in email.body_text


def test_it_says_which_plan_the_trial_becomes_and_its_price(client: Client, plan):
    start_trial(client, make_device("PLW30000002"))
    page = client.get("/trial/signup/").content.decode()
    assert "Step 2 of 7" in page and "Free trial" in page
    assert "12 months: $49.99" in page
    assert "checked with your bank, not charged" in page


def test_it_refuses_a_second_trial_for_the_same_device(client: Client, plan):
    device = make_device("PLW30000003")
    activate_trial(client, device)
    Device.objects.filter(pk=device.pk).update(owner=None, status=DeviceStatus.IN_STOCK)
    other = Client()
    start_trial(other, device)
    page = other.get("/trial/signup/").content.decode()
    assert "This device has already had a free trial." in page
    assert "Give a card" not in page


def test_it_refuses_a_card_that_had_a_trial(client: Client, plan):
    activate_trial(client, make_device("PLW30000004"))
    other = Client()
    start_trial(other, make_device("PLW30000005"))
    page = give_card(other).content.decode()
    assert "This card has already had a free trial. Use another card." in page
    activation = Activation.objects.get(pk=other.session[SESSION_KEY])
    assert activation.trial_card_fingerprint == ""
    assert other.get("/activate/account/")["Location"] == "/activate/purchase/"


def test_it_refuses_at_the_end_a_card_used_meanwhile_and_activates_nothing(client: Client, plan):
    first, second = Client(), Client()
    code_first = sign_up(first, make_device("PLW30000006"), email="one@example.com")
    code_second = sign_up(second, make_device("PLW30000007"), email="two@example.com")
    assert first.post("/activate/code/", {"code": code_first})["Location"] == "/activate/done/"
    page = second.post("/activate/code/", {"code": code_second}).content.decode()
    assert "This card has already had a free trial." in page
    device = Device.objects.get(serial="PLW30000007")
    assert device.owner is None and device.status != DeviceStatus.ACTIVE


def test_it_cancels_the_trial_from_the_device_page_and_never_converts(client: Client, plan):
    with time_machine.travel(START, tick=False):
        subscription = activate_trial(client, make_device("PLW30000008"))
        page = client.get("/devices/PLW30000008/").content.decode()
        assert "Cancel the trial" in page and "$49.99" in page
        response = client.post("/devices/PLW30000008/trial/cancel/", follow=True)
        assert "nothing will be charged" in response.content.decode()
        assert AuditEvent.objects.filter(action=AuditAction.TRIAL_CANCELLED).count() == 1
    with time_machine.travel(START + timedelta(days=31), tick=False):
        assert trial_conversions_run() == 0
    assert not Payment.objects.exists()
    subscription.refresh_from_db()
    assert subscription.ends_at == START + timedelta(days=30)


def test_only_the_owner_cancels_a_trial(client: Client, plan, alice):
    activate_trial(client, make_device("PLW30000009"))
    intruder = Client()
    intruder.force_login(alice.user)
    assert intruder.post("/devices/PLW30000009/trial/cancel/").status_code == 404
    assert Subscription.objects.get().trial_cancelled_at is None


def test_it_converts_once_at_the_trials_end_from_its_end(client: Client, plan):
    with time_machine.travel(START, tick=False):
        subscription = activate_trial(client, make_device("PLW30000010"))
    trial_end = START + timedelta(days=30)
    with time_machine.travel(trial_end - timedelta(minutes=1), tick=False):
        assert trial_conversions_run() == 0  # not yet
    with time_machine.travel(trial_end, tick=False):
        assert trial_conversions_run() == 1
        assert trial_conversions_run() == 0  # the second run charges nothing
    payment = Payment.objects.get()
    assert (payment.kind, payment.status, payment.amount) == (
        PaymentKind.TRIAL_CONVERSION,
        PaymentStatus.SUCCEEDED,
        4999,
    )
    assert payment.idempotency_key == f"trial-{subscription.pk}"
    assert SandboxCharge.objects.count() == 1
    subscription.refresh_from_db()
    assert subscription.ends_at == add_months(trial_end, 12)
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1


def test_a_declined_conversion_ends_the_service_with_the_trial_and_emails_a_renew_link(
    client: Client, plan
):
    with time_machine.travel(START, tick=False):
        subscription = activate_trial(client, make_device("PLW30000011"), number=DECLINED_ON_CHARGE)
    trial_end = START + timedelta(days=30)
    with time_machine.travel(trial_end, tick=False):
        trial_conversions_run()
        trial_conversions_run()
    assert Payment.objects.get().status == PaymentStatus.DECLINED
    subscription.refresh_from_db()
    assert subscription.ends_at == trial_end
    status = subscription_status(subscription.ends_at, None, trial_end + timedelta(days=1), 7)
    assert status is SubscriptionStatus.GRACE
    email = OutboxMessage.objects.get(template="billing/email/trial_conversion_failed")
    assert "/renew/" in email.body_text


def test_a_trial_renewed_meanwhile_is_not_converted(client: Client, plan):
    with time_machine.travel(START, tick=False):
        subscription = activate_trial(client, make_device("PLW30000012"))
        # Renewed online during the trial: a year from the trial's end.
        renewed_until = add_months(START + timedelta(days=30), 12)
        Subscription.objects.filter(pk=subscription.pk).update(ends_at=renewed_until)
        page = client.get("/devices/PLW30000012/").content.decode()
        assert "Cancel the trial" not in page
    with time_machine.travel(START + timedelta(days=30), tick=False):
        assert trial_conversions_run() == 0
    assert not Payment.objects.exists()
    subscription.refresh_from_db()
    assert subscription.ends_at == renewed_until


def test_it_activates_without_a_trial_when_asked(client: Client, plan):
    start_trial(client, make_device("PLW30000013"))
    give_card(client)
    response = client.post("/trial/without/")
    assert response["Location"] == "/activate/purchase/"
    activation = Activation.objects.get(pk=client.session[SESSION_KEY])
    assert not activation.trial and activation.trial_signup == {}
    page = client.get("/activate/purchase/").content.decode()
    assert "Where did you buy it?" in page
