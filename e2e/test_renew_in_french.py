"""Renewing in French in a real browser: the plan's French name from the renew page to the
confirmation, and the sandbox gateway's card page with its test cards in French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import Subscriber, make_subscriber
from e2e.helpers import sign_in
from plugline.billing.models import Plan, PlanPrice, Subscription


@pytest.fixture
def claire(db: None) -> Subscriber:
    """A French-speaking subscriber with a device in service; a plan named in three languages."""
    subscriber = make_subscriber("claire@example.com", language="fr")
    Subscription.objects.create(
        device=subscriber.devices[0], ends_at=timezone.now() + timedelta(days=20)
    )
    plan = Plan.objects.create(
        code="year", name="1 year", name_fr="1 an", name_da="1 år", months=12
    )
    PlanPrice.objects.create(plan=plan, currency="USD", amount=4999)
    return subscriber


def test_it_names_the_plan_and_the_test_cards_in_french(claire: Subscriber, page: Page) -> None:
    sign_in(page, claire.email, claire.password)
    page.goto("/renew/")
    page.get_by_role("radio", name="(212) 555-0147").check()
    page.get_by_role("radio", name="1 an").check()
    page.get_by_role("button", name="Ajouter au panier").click()

    expect(page.get_by_role("heading", name="Votre panier", level=1)).to_be_visible()
    expect(page.get_by_text("1 an pour (212) 555-0147 est dans votre panier.")).to_be_visible()
    expect(page.get_by_text("1 year")).to_have_count(0)

    page.get_by_role("link", name="Paiement").click()
    expect(page.locator("main")).to_contain_text("1 an")
    page.get_by_role("button", name="Utiliser une nouvelle carte").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Cartes de test")).to_be_visible()
    expect(page.get_by_text("4242 4242 4242 4242 est acceptée")).to_be_visible()
    expect(page.get_by_text("succeeds")).to_have_count(0)
    page.get_by_label("Numéro de carte", exact=True).fill("4242 4242 4242 4242")
    page.get_by_label("Date d\u2019expiration (MM/AA)", exact=True).fill("12/34")
    page.get_by_label("Code de sécurité (CVC)", exact=True).fill("123")
    page.get_by_label("Nom sur la carte", exact=True).fill("Claire Dubois")
    page.get_by_role("button", name="Enregistrer la carte").click()

    page.get_by_role("button", name="Payer").click()
    expect(page.get_by_role("heading", name="Merci\u00a0: votre paiement a abouti")).to_be_visible()
    expect(page.locator(".renewed")).to_contain_text("1 an")
