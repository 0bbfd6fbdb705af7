"""A wizard is written only when a customer gives it something; what is left is deleted.

Anonymous GETs (crawlers, link checkers, a customer who only looks) leave
no activation and no session; abandoned wizards and expired sessions are
deleted by periodic jobs.
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from plugline.devices.models import Activation
from plugline.devices.tests.presence_factory import make_boxed_device
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
