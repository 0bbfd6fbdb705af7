"""A staff member suspends a device's line from the admin: the action asks for a reason on
a page of its own, in the staff member's language, without an axe-core violation, and on a
phone it fits the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_subscriber
from e2e.helpers import OpenPage, fits, staff_sign_in
from e2e.test_staff_accessibility import violations
from plugline.accounts.models import User
from plugline.devices.models import Device


def choose_action(page: Page, device: Device, action: str) -> None:
    page.goto("/admin/devices/device/")
    page.locator(f"input[name='_selected_action'][value='{device.pk}']").check()
    page.locator("select[name='action']").select_option(action)
    page.locator("button[name='index']").click()


@pytest.mark.parametrize(
    ("language", "width", "reason_label", "button", "done"),
    [
        ("en", 1280, "Reason (kept in the audit log)", "Suspend the line", "Line suspended"),
        (
            "fr",
            360,
            "Motif (conservé dans le journal d\u2019audit)",
            "Suspendre la ligne",
            "Ligne suspendue",
        ),
    ],
)
def test_staff_suspend_a_line_after_giving_a_reason(
    staff: User,
    open_page: OpenPage,
    language: str,
    width: int,
    reason_label: str,
    button: str,
    done: str,
) -> None:
    staff.language = language
    staff.save(update_fields=["language"])
    device = make_subscriber("carol@example.com", numbers=("+13125550100",)).devices[0]
    page = open_page(width=width, height=800)
    staff_sign_in(page, staff, PASSWORD)

    choose_action(page, device, "suspend_line")

    reason = page.get_by_label(reason_label)
    expect(reason).to_be_visible()
    assert violations(page, f"suspend ({language}, {width} px)") == []
    assert fits(page)
    reason.fill("Chargeback 5521")
    page.get_by_role("button", name=button).click()

    expect(page.get_by_text(done)).to_be_visible()
    suspended = Device.objects.get(pk=device.pk)
    assert suspended.suspended_at is not None
    assert suspended.suspension_reason == "Chargeback 5521"
