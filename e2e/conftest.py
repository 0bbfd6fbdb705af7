"""Browser journeys: Playwright's sync API driving Chromium against the live server.

The browser is started once per session; every test gets fresh contexts
(cookies, storage) on pytest-django's `live_server`, which runs in another
thread, so the tests use a transactional database (personas like `alice`
work: pytest-django makes `db` transactional when `live_server` is in use).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from e2e.helpers import OpenPage

ARTIFACTS = Path(__file__).parent / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Long enough for a slow CI machine, short enough that a missing element
# fails the test in seconds rather than half a minute.
ACTION_TIMEOUT_MS = 10_000

_call_report = pytest.StashKey[pytest.TestReport]()


def chromium_executable() -> str | None:
    """The system's Chromium where there is one; None means Playwright's own download."""
    return (
        os.environ.get("PLAYWRIGHT_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps the outcome of the test itself, for `open_page` to look at on teardown."""
    report = yield
    if report.when == "call":
        item.stash[_call_report] = report
    return report


@pytest.fixture
def open_page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[OpenPage]:
    """Opens a page in a new browser context (its own cookies), on the live server.

    `open_page()` is a 1280 x 800 desktop window; `open_page(width=360)` a phone.
    When the test fails, each page's last state is saved under e2e/artifacts/.
    """
    contexts: list[BrowserContext] = []

    def open_(width: int = 1280, height: int = 800) -> Page:
        phone = width < 600
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_

    report = request.node.stash.get(_call_report, None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                page.screenshot(path=ARTIFACTS / f"{name}-{n}-{m}.png", full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    """A desktop browser window, 1280 x 800."""
    return open_page()


@pytest.fixture
def phone_page(open_page: OpenPage) -> Page:
    """A phone's browser, 360 px wide."""
    return open_page(width=360, height=780)
