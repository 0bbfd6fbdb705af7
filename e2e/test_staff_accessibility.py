"""The staff pages (the admin) pass axe-core too: every list and add form of Plugline's
models, a payment with its refund form, in English on a desktop, and a staff member's
daily pages on a phone in French and Danish, where they also fit the screen. The consoles
(customers, tickets, chats, reports) on a phone in English, French and Danish: no
violation, nothing wider than the screen, and a focus ring of at least 3:1 on every
control Tab reaches."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from coloraide import Color
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from e2e.helpers import OpenPage, fits, staff_sign_in
from plugline.accounts.models import User
from plugline.billing.models import Payment, Plan, PlanPrice, Subscription
from plugline.billing.tests.factories import card_on_file
from plugline.chat.services import conversation_open
from plugline.support.tests.factories import open_ticket

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def violations(page: Page, name: str) -> list[str]:
    found: list[dict[str, Any]] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{name}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in found
    ]


def staff_admin_pages() -> list[str]:
    """Every changelist and add form of the admin's registered models."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return urls


@pytest.fixture
def paid(staff: User) -> Payment:
    """A subscriber's payment that succeeded, so that its page and refund form exist."""
    from conftest import make_subscriber
    from plugline.billing.payments import payment_charge, payment_create

    subscriber = make_subscriber("carol@example.com", numbers=("+13125550100",))
    subscription = Subscription.objects.create(device=subscriber.devices[0])
    plan = Plan.objects.create(
        code="year", name="1 year", name_fr="1 an", name_da="1 år", months=12
    )
    PlanPrice.objects.create(plan=plan, currency="USD", amount=4999)
    card = card_on_file(subscriber.user)
    payment = payment_create(
        user=subscriber.user,
        kind="checkout",
        items=[(subscription, plan)],
        payment_method=card,
        idempotency_key="pay_staff_a11y",
    )
    return payment_charge(payment=payment).payment


@pytest.fixture
def number_change_paid(staff: User) -> Payment:
    """A subscriber's change of number, paid: its payment's page shows the change."""
    from conftest import make_subscriber
    from plugline.billing.number_changes import number_change_choose, number_change_pay
    from plugline.billing.payments import idempotency_key_new
    from plugline.devices.models import Device
    from plugline.telephony.models import NumberStatus, PhoneNumber

    subscriber = make_subscriber("dora@example.com", numbers=("+13125550101",))
    PhoneNumber.objects.create(
        e164="+13125550101",
        country="US",
        area_code="312",
        city="Chicago",
        status=NumberStatus.ASSIGNED,
    )
    PhoneNumber.objects.create(e164="+13125550199", country="US", area_code="312", city="Chicago")
    device = Device.objects.get(pk=subscriber.devices[0].pk)
    number_change_choose(user=subscriber.user, device=device, e164="+13125550199")
    answer = number_change_pay(
        user=subscriber.user,
        device=device,
        payment_method=card_on_file(subscriber.user),
        idempotency_key=idempotency_key_new(),
        fee_shown=settings.NUMBER_CHANGE_FEE,
    )
    return answer.payment


@pytest.fixture
def upgrade_paid(staff: User) -> int:
    """A subscriber's device upgrade, paid: the order's page in the admin; its id."""
    from conftest import make_subscriber
    from plugline.upgrades.tests.factories import make_offer, pay_order

    subscriber = make_subscriber("erin@example.com", numbers=("+13125550102",))
    return pay_order(subscriber, make_offer(), card_on_file(subscriber.user)).pk


def test_every_admin_list_and_add_form_has_no_violation(
    staff: User,
    paid: Payment,
    number_change_paid: Payment,
    upgrade_paid: int,
    open_page: OpenPage,
) -> None:
    page = open_page()
    staff_sign_in(page, staff, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    found: list[str] = []
    pages = [
        *staff_admin_pages(),
        reverse("admin:billing_payment_change", args=[paid.pk]),
        reverse("billing_payment_refund", args=[paid.pk]),
        reverse("admin:billing_payment_change", args=[number_change_paid.pk]),
        reverse("admin:upgrades_upgradeorder_change", args=[upgrade_paid]),
    ]
    for url in pages:
        response = page.goto(url)
        assert response is not None, url
        if response.status == 403 and url.endswith("/add/"):
            continue  # a model that staff never add by hand (payments, cards ...)
        assert response.status == 200, (url, response.status)
        found += violations(page, url)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["fr", "da"])
def test_a_staff_members_daily_pages_fit_a_phone_in_french_and_danish(
    staff: User, paid: Payment, number_change_paid: Payment, open_page: OpenPage, language: str
) -> None:
    staff.language = language
    staff.save(update_fields=["language"])
    page = open_page(width=360, height=780)
    staff_sign_in(page, staff, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", language)
    found: list[str] = []
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:billing_payment_changelist"),
        reverse("admin:billing_payment_change", args=[paid.pk]),
        reverse("billing_payment_refund", args=[paid.pk]),
        reverse("admin:billing_payment_change", args=[number_change_paid.pk]),
        reverse("admin:billing_plan_add"),
    ):
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        found += violations(page, f"{url} ({language}, 360 px)")
        if not fits(page):
            found.append(f"{url} ({language}, 360 px): scrolls sideways")
    assert not found, "\n".join(found)


# The focused element's ring (outline, box-shadow) and the first opaque background behind it.
FOCUSED_RING = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    let background = "rgb(255, 255, 255)";
    for (let p = e.parentElement; p; p = p.parentElement) {
        const c = getComputedStyle(p).backgroundColor;
        if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") { background = c; break; }
    }
    if (!e.dataset.ringWalk) {  // each control marked once: met again, the walk went round
        window.ringWalked = (window.ringWalked || 0) + 1;
        e.dataset.ringWalk = String(window.ringWalked);
    }
    const label = (e.getAttribute("aria-label") || e.textContent || e.name || e.id || "").trim();
    return {
        key: e.dataset.ringWalk,
        what: e.tagName.toLowerCase() + " " + label.slice(0, 40),
        outline: s.outlineStyle === "none" || parseFloat(s.outlineWidth) === 0
            ? "" : s.outlineColor,
        shadow: s.boxShadow,
        background: background,
    };
}"""


def focus_ring_failures(page: Page, name: str, limit: int = 120) -> list[str]:
    """Tab through the whole page: every control it reaches shows a ring of at least 3:1."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    failures: list[str] = []
    seen: set[str] = set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_RING)
        if focused is None or focused["key"] in seen:
            break
        seen.add(focused["key"])
        colours = [Color(focused["outline"])] if focused["outline"] else []
        colours += [Color(c) for c in re.findall(r"rgba?\([^)]*\)", focused["shadow"])]
        best = max(
            (c.contrast(Color(focused["background"]), method="wcag21") for c in colours),
            default=0.0,
        )
        if best < 3:
            failures.append(f"{name}: {focused['what']!r} focus ring {best:.2f}:1")
    return failures


@pytest.fixture
def consoles(staff: User, paid: Payment) -> dict[str, str]:
    """A ticket, a waiting chat and the paid payment's customer: the consoles' pages."""
    customer = paid.user
    assert customer is not None
    ticket = open_ticket(customer, subject="No dial tone")
    conversation_open(user=customer, language="en")
    return {
        "search": reverse("backoffice:home"),
        "customer": reverse("backoffice:customer", kwargs={"pk": customer.pk}),
        "desk": reverse("support:desk"),
        "desk ticket": reverse("support:desk_ticket", kwargs={"reference": ticket.reference}),
        "chat console": reverse("chat:console"),
        "reports": reverse("reports:home"),
        "report": reverse("reports:report", args=["revenue"]),
        "report (devices)": reverse("reports:report", args=["devices"]),
    }


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_the_consoles_pass_axe_fit_a_phone_and_ring_every_control_they_focus(
    staff: User, consoles: dict[str, str], open_page: OpenPage, language: str
) -> None:
    staff.language = language
    staff.save(update_fields=["language"])
    page = open_page(width=360, height=780)
    staff_sign_in(page, staff, PASSWORD)
    found: list[str] = []
    for name, url in consoles.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response)
        expect(page.locator("html")).to_have_attribute("lang", language)
        where = f"{name} ({language}, 360 px)"
        found += violations(page, where)
        if not fits(page):
            found.append(f"{where}: scrolls sideways")
        found += focus_ring_failures(page, where)
    assert not found, "\n".join(found)
