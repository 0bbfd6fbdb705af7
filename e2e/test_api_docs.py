"""The API docs (`/api/v1/docs`) in a real browser with no internet: every file comes
from Plugline itself, the page is in the reader's language, has a heading, and
axe-core finds no violation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Route, expect

from e2e.test_accessibility import AXE_OPTIONS, describe
from e2e.test_content_security_policy import REPORT_VIOLATIONS, VIOLATION

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def offline(page: Page) -> list[str]:
    """Abort every request that leaves this machine; the list says which were tried."""
    tried: list[str] = []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            tried.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", handle)
    return tried


@pytest.mark.parametrize(
    ("language", "intro"),
    [
        ("en", "The JSON API that devices and the stores' tills use."),
        ("fr", "L\u2019API JSON qu\u2019utilisent les appareils et les caisses des magasins."),
        ("da", "JSON-API\u2019et, som enhederne og butikkernes kasser bruger."),
    ],
)
def test_it_lists_the_operations_offline_in_the_readers_language(
    page: Page, language: str, intro: str
) -> None:
    tried = offline(page)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if VIOLATION.search(message.text) else None,
    )
    page.add_init_script(REPORT_VIOLATIONS)
    page.context.set_extra_http_headers({"Accept-Language": language})
    page.goto("/api/v1/docs")

    expect(page.get_by_role("heading", name="Plugline API", level=1, exact=True)).to_be_visible()
    expect(page.get_by_text(intro)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_text("/api/v1/device/challenge", exact=True)).to_be_visible()
    expect(page.get_by_text("/api/v1/retail/cards/{serial}/activate", exact=True)).to_be_visible()
    assert tried == []
    assert refused == []
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)
