"""A wizard is written only when a customer gives it something; what is left is deleted.

Anonymous GETs (crawlers, link checkers, a customer who only looks) leave
no activation and no session; abandoned wizards and expired sessions are
deleted by periodic jobs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.core.scheduling import periodic_jobs, scheduler_tick
from plugline.devices.models import (
    Activation,
    ActivationStatus,
    TransferRequest,
    TransferStatus,
)
from plugline.devices.tests.presence_factory import make_boxed_device
from plugline.devices.tests.wizard_factory import make_device
from plugline.devices.wizard.state import SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/activate/", "/trial/"])
def test_it_writes_nothing_for_100_cookieless_visits_of_the_first_step(url: str):
    for _ in range(100):
        response = Client().get(url, follow=True)
        assert response.status_code == 200
        assert "Detect your device" in response.content.decode()
    assert Activation.objects.count() == 0
    assert Session.objects.count() == 0


def test_start_trial_makes_a_trials_wizard_with_the_first_answer_to_step_1(client: Client):
    boxed = make_boxed_device()
    page = client.get("/trial/", follow=True).content.decode()
    assert "Free trial" in page  # step 2's name in a trial's wizard
    assert 'action="/activate/?trial=1"' in page
    assert 'data-challenge-url="/activate/detect/challenge?trial=1"' in page
    assert not Activation.objects.exists()

    response = client.post(
        "/activate/?trial=1", {"serial": boxed.serial, "label_code": boxed.label_code}
    )
    assert response["Location"] == "/activate/"
    activation = Activation.objects.get(pk=client.session[SESSION_KEY])
    assert activation.trial and activation.device == boxed.device
    assert client.get("/activate/purchase/")["Location"] == "/trial/signup/"


def test_start_trial_by_the_devices_signature_makes_a_trials_wizard(client: Client):
    boxed = make_boxed_device()
    client.get("/trial/")
    response = client.post(
        "/activate/detect/challenge?trial=1",
        {"serial": boxed.serial},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Activation.objects.get(pk=client.session[SESSION_KEY]).trial


def test_the_activate_link_makes_a_wizard_without_a_trial(client: Client):
    boxed = make_boxed_device()
    assert "Free trial" not in client.get("/activate/").content.decode()
    client.post("/activate/", {"serial": boxed.serial, "label_code": boxed.label_code})
    assert not Activation.objects.get(pk=client.session[SESSION_KEY]).trial


def test_start_trial_turns_the_wizard_under_way_into_a_trial(client: Client):
    boxed = make_boxed_device()
    client.post("/activate/", {"serial": boxed.serial, "label_code": boxed.label_code})
    assert client.get("/trial/")["Location"] == "/activate/"
    activation = Activation.objects.get()
    assert activation.trial and activation.device == boxed.device


def _wizard(status: str, *, days_ago: float, trial: bool = False, **fields) -> Activation:
    activation = Activation.objects.create(status=status, trial=trial, **fields)
    Activation.objects.filter(pk=activation.pk).update(
        updated_at=timezone.now() - timedelta(days=days_ago)
    )
    return activation


def test_the_hourly_job_deletes_wizards_abandoned_longer_than_the_setting(
    settings, alice: Subscriber
):
    settings.ABANDONED_ACTIVATION_DAYS = 30
    device = make_device("PLW40000001")
    old = _wizard(ActivationStatus.ABANDONED, days_ago=31)
    old_trial = _wizard(ActivationStatus.ABANDONED, days_ago=45, trial=True)
    recent = _wizard(ActivationStatus.ABANDONED, days_ago=29)
    open_idle = _wizard(ActivationStatus.OPEN, days_ago=31)
    completed = _wizard(ActivationStatus.COMPLETED, days_ago=400, device=device)
    completed_trial = _wizard(
        ActivationStatus.COMPLETED,
        days_ago=400,
        trial=True,
        device=make_device("PLW40000002"),
        trial_card_fingerprint="fp-1",
    )

    # A wizard that asked an owner to release a used device: kept with its request.
    used = make_device("PLW40000003")
    asked = _wizard(ActivationStatus.ABANDONED, days_ago=60, device=used)
    TransferRequest.objects.create(
        device=used,
        owner=alice.user,
        activation=asked,
        token_hash="0" * 64,
        status=TransferStatus.DECLINED,
        expires_at=timezone.now() - timedelta(days=53),
    )

    jobs = {job.name: job for job in periodic_jobs()}
    job = jobs["devices.activations_delete_abandoned"]
    assert job.every == timedelta(hours=1)
    job.func()

    left = set(Activation.objects.values_list("pk", flat=True))
    assert left == {recent.pk, open_idle.pk, completed.pk, completed_trial.pk, asked.pk}
    assert TransferRequest.objects.filter(activation=asked).exists()
    assert not {old.pk, old_trial.pk} & left

    settings.ABANDONED_ACTIVATION_DAYS = 7
    job.func()
    assert not Activation.objects.filter(pk=recent.pk).exists()


def test_an_idle_wizard_is_abandoned_then_deleted_by_the_scheduler(settings):
    settings.ABANDONED_ACTIVATION_DAYS = 30
    idle = _wizard(ActivationStatus.OPEN, days_ago=2)
    start = timezone.now()
    scheduler_tick(now=start, scheduler_id="a")
    assert Activation.objects.get(pk=idle.pk).status == ActivationStatus.ABANDONED
    with time_machine.travel(start + timedelta(days=31)):
        scheduler_tick(now=timezone.now(), scheduler_id="a")
    assert not Activation.objects.filter(pk=idle.pk).exists()
