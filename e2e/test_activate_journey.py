# ruff: noqa: RUF001 -- French text uses the typographic apostrophe
"""Activation from end to end, as the operator and a new customer live it.

The operator imports a boxed device (sold in a store) and the number
inventory with the management commands; the customer has the device plugged
in (the real plugline-device answering on this computer), clicks "Activate"
in the top bar, "Detect device", goes through every step, reads the code in
the developers' mailbox and clicks "Activate my device". The new account
then signs in with its new number. Then the same in French, on a phone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from e2e.helpers import OpenPage, activation_steps_3_to_7, open_menu, sign_in
from e2e.test_activate_steps import check_page
from plugline.accounts.models import User
from plugline.devices.keys import device_key_generate, label_code_generate
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_model_default
from plugline.devices.tests.presence_factory import RunningAgent, running_agent
from plugline.telephony.models import NumberStatus, PhoneNumber

SERIAL = "PLJ30000001"
PASSWORD = "copper kettles sing at noon"  # test persona only


@pytest.fixture
def imported(transactional_db: None, tmp_path: Path) -> str:
    """The operator's imports: one boxed device sold in a store, numbers in 212 and 514.

    Returns the device key, as the factory wrote it into the device.
    """
    device_model_default()
    key = device_key_generate()
    devices = tmp_path / "devices.csv"
    devices.write_text(
        "serial,model,device_key,label_code,status\n"
        f"{SERIAL},plugline-usb,{key},{label_code_generate()},sold_in_store\n",
        encoding="utf-8",
    )
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(
        "number,city,region\n"
        "(212) 555-0170,New York,NY\n"
        "(212) 555-0171,New York,NY\n"
        "(514) 555-0172,Montréal,QC\n",
        encoding="utf-8",
    )
    call_command("import_devices", str(devices))
    call_command("import_numbers", str(numbers))
    assert Device.objects.get(serial=SERIAL).status == DeviceStatus.SOLD_IN_STORE
    return key


@pytest.fixture
def agent(imported: str, live_server: LiveServer, settings) -> Iterator[RunningAgent]:
    """plugline-device playing the imported device; the developers' mailbox open (DEBUG)."""
    settings.DEBUG = True
    with running_agent(serial=SERIAL, key=imported, portal=live_server.url) as running:
        settings.DEVICE_AGENT_PORT = running.port
        yield running


def test_a_store_bought_device_goes_from_detect_device_to_an_active_line(
    open_page: OpenPage, live_server: LiveServer, agent: RunningAgent
) -> None:
    page = open_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Activate").click()
    expect(page.get_by_text("Step 1 of 7")).to_be_visible()
    page.get_by_role("button", name="Detect device").click()
    expect(page.get_by_role("heading", name="Device Detected")).to_be_visible()
    expect(page.locator("#detect-result .serial")).to_have_text(SERIAL)
    page.get_by_role("link", name="Next").click()

    expect(page.get_by_text("Step 2 of 7")).to_be_visible()
    page.get_by_label("In a store").check()
    page.get_by_role("button", name="Continue").click()

    activation_steps_3_to_7(
        page, first_name="Omar", last_name="Osei", email="omar@example.com", password=PASSWORD
    )
    device = Device.objects.get(serial=SERIAL)
    omar = User.objects.get(email="omar@example.com")
    assert (device.status, device.owner_id, device.phone_number) == (
        DeviceStatus.ACTIVE,
        omar.pk,
        "+12125550171",
    )
    assert device.e911_address["postal_code"] == "10001"
    assert omar.original_email == "omar@example.com"
    assert PhoneNumber.objects.get(e164="+12125550171").status == NumberStatus.ASSIGNED

    # A new browser: the new account signs in with its new number.
    fresh = open_page(width=360)
    sign_in(fresh, "(212) 555-0171", PASSWORD)
    expect(fresh.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(fresh.get_by_role("link", name="(212) 555-0171", exact=True)).to_be_visible()


def test_the_wizard_speaks_french_on_a_phone(
    open_page: OpenPage, live_server: LiveServer, agent: RunningAgent
) -> None:
    page = open_page(width=360)
    page.goto("/accounts/login/")
    open_menu(page)
    page.locator("#language-select").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    open_menu(page)  # "Menu" in French too
    page.get_by_role("link", name="Activer").click()
    expect(page.get_by_text("Étape 1 sur 7")).to_be_visible()
    check_page(page, "étape 1")
    page.get_by_role("button", name="Détecter l’appareil").click()
    expect(page.get_by_role("heading", name="Appareil détecté")).to_be_visible()
    check_page(page, "appareil détecté")
    page.get_by_role("link", name="Suivant").click()
    expect(page.get_by_text("Étape 2 sur 7")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Où l’avez-vous acheté\u202f?")
    check_page(page, "étape 2")
    page.get_by_label("En magasin").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("Étape 3 sur 7")).to_be_visible()
    page.get_by_label("Adresse e-mail", exact=True).fill("pas une adresse")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Adresse e-mail", exact=True)).to_have_value("pas une adresse")
    check_page(page, "étape 3 refusée")
