"""A billing manager reads the reports on the demo history: in English, French and Danish, on
a desktop and a 360 px phone, with the keyboard alone; each chart is drawn, its table beneath
it, the CSV download is that table, and axe-core finds no violation."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import Page, expect

from conftest import sign_in_with_two_factor
from e2e.helpers import CANVAS_HAS_PIXELS, OpenPage, fits, tab_to
from e2e.test_staff_accessibility import violations
from plugline.accounts.models import User
from plugline.portal.management.commands.seed_demo import STAFF_EMAIL

TABLE_ROWS = (
    """table => [...table.rows].map(row => [...row.cells].map(cell => cell.textContent.trim()))"""
)


@pytest.fixture
def manager(settings, live_server) -> User:
    """The demo's staff member, on the demo history (seed_demo), signed in with two-factor."""
    settings.DEBUG = True  # seed_demo runs only in DEBUG
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False
    return User.objects.get(email=STAFF_EMAIL)


def signed_in(page: Page, user: User, live_server) -> None:
    client = Client()
    sign_in_with_two_factor(client, user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.parametrize(
    ("language", "width", "report", "caption", "download"),
    [
        (
            "en",
            1280,
            "Renewals by channel",
            "Renewals per week by channel",
            "Download this table (CSV)",
        ),
        (
            "fr",
            360,
            "Revenus",
            "Revenus par semaine et par forfait",
            "Télécharger ce tableau (CSV)",
        ),
        ("da", 360, "Indløste Re-Up-kort", "Re-Up-kort indløst pr. uge", "Hent denne tabel (CSV)"),
        ("da", 1280, "Frafald", "Frafald pr. uge", "Hent denne tabel (CSV)"),
    ],
)
def test_a_manager_reads_a_report_and_downloads_its_table(
    manager: User,
    open_page: OpenPage,
    live_server,
    language: str,
    width: int,
    report: str,
    caption: str,
    download: str,
) -> None:
    manager.language = language
    manager.save(update_fields=["language"])
    page = open_page(width=width, height=800)
    signed_in(page, manager, live_server)

    page.goto("/staff/reports/")
    assert violations(page, f"reports ({language}, {width} px)") == []
    assert fits(page)
    link = page.get_by_role("link", name=report, exact=True).last
    tab_to(page, link, limit=60)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name=report)).to_be_visible()
    table = page.locator("table")
    expect(table.locator("caption")).to_contain_text(caption)
    canvas = page.locator("canvas").first
    expect(canvas).to_be_visible()
    page.wait_for_function(f"() => ({CANVAS_HAS_PIXELS})(document.querySelector('canvas'))")
    assert violations(page, f"{report} ({language}, {width} px)") == []
    assert fits(page)
    box = canvas.bounding_box()
    assert box is not None and box["width"] <= width
    rows = table.evaluate(TABLE_ROWS)
    figures = [cell for row in rows[1:] for cell in row[1:]]
    assert len(rows) > 2 and any(cell not in ("0", "\N{EN DASH}") for cell in figures)

    # The keyboard reaches the table (it scrolls sideways on a phone) and the download.
    tab_to(page, page.locator(".reports-table"), limit=60)
    tab_to(page, page.get_by_role("link", name=download), limit=10)
    with page.expect_download() as downloading:
        page.keyboard.press("Enter")
    with open(downloading.value.path(), encoding="utf-8") as file:
        assert list(csv.reader(file)) == rows


def test_a_manager_changes_the_date_range_with_the_keyboard(
    manager: User, open_page: OpenPage, live_server
) -> None:
    page = open_page()
    signed_in(page, manager, live_server)
    page.goto("/staff/reports/trials/")

    tab_to(page, page.get_by_label("From"), limit=60)
    page.keyboard.type("01052099")  # the date field's own order: month, day, year
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text(
        "The last day must not come before the first day."
    )
    expect(page.locator("table")).to_have_count(0)
    assert violations(page, "refused range") == []
