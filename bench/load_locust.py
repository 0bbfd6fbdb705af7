"""The journeys of bench/load.py's load test, for locust (started by bench/load.py).

Each simulated subscriber signs in once from its own client address (an
address of 127.0.0.0/8, so that the per-address rate limits count it apart,
as they would count households), then, with a second or two between steps:
looks at My account, renews a device and pays with the card on file, redeems
a Re-Up card, finds a store, and now and then signs out and in again.

Every request is written as one JSON line to LOAD_REQUEST_LOG (start, end,
journey, status, error), which bench/load.py reads to report each journey's
figures and to tell the requests in flight at the kill drill from the rest.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from locust import HttpUser, between, events, task
from requests.adapters import HTTPAdapter

SUBSCRIBERS: list[dict[str, Any]] = json.loads(os.environ["LOAD_SUBSCRIBERS"])
PASSWORD = os.environ["LOAD_PASSWORD"]
SEARCHES = ("Montréal", "Copenhagen", "10001", "Toronto", "Chicago", "H2X", "San Francisco")
_next_subscriber = itertools.count()
_log = open(os.environ["LOAD_REQUEST_LOG"], "a", buffering=1)  # noqa: SIM115 (whole run)

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    if found is None:
        raise ValueError(f"no field {name} on the page")
    return found.group(1)


def checked_card(html: str) -> str:
    found = re.search(r'name="card" value="([^"]+)"[^>]*checked', html) or re.search(
        r'name="card" value="([^"]+)"', html
    )
    if found is None:
        raise ValueError("no card on the checkout page")
    return found.group(1)


def journey_done(journey: str, started: float, *, ok: bool) -> None:
    _log.write(
        json.dumps(
            {"kind": "journey", "journey": journey, "start": started, "end": time.time(), "ok": ok}
        )
        + "\n"
    )


class SourceAddressAdapter(HTTPAdapter):
    """Connects from one loopback address: one client address per simulated subscriber."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@events.request.add_listener
def _write(
    request_type: str,
    name: str,
    response_time: float,
    response: Any,
    context: dict[str, Any],
    exception: BaseException | None,
    start_time: float,
    **_kwargs: Any,
) -> None:
    status = getattr(response, "status_code", 0) or 0
    _log.write(
        json.dumps(
            {
                "journey": context.get("journey", name),
                "name": name,
                "method": request_type,
                "start": start_time,
                "end": start_time + response_time / 1000,
                "status": status,
                "error": None
                if exception is None
                else f"{type(exception).__name__}: {exception}"[:300],
            }
        )
        + "\n"
    )


Steps = Callable[["Subscriber"], bool | None]


def journey(name: str) -> Callable[[Steps], Callable[[Subscriber], None]]:
    """A task that is one journey: its completion (and whether it got through) is logged.

    Steps answering None had nothing to do (a subscriber out of Re-Up cards): not logged.
    """

    def decorator(steps: Steps) -> Callable[[Subscriber], None]:
        @functools.wraps(steps)
        def run(user: Subscriber) -> None:
            started = time.time()
            ok = steps(user)
            if ok is not None:
                journey_done(name, started, ok=ok)

        return run

    return decorator


class Subscriber(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        index = next(_next_subscriber)
        self.subscriber = SUBSCRIBERS[index % len(SUBSCRIBERS)]
        self.client.verify = False
        # 127.0.1.1, 127.0.1.2, ...: each subscriber its own address.
        address = f"127.0.{1 + index // 250}.{1 + index % 250}"
        self.client.mount("https://", SourceAddressAdapter(address))
        self.client.headers["Origin"] = self.base = str(self.host)
        self.client.headers["Accept-Language"] = "en"
        self.pins = list(self.subscriber["pins"])
        self.signed_in = False

    def page(self, journey: str, path: str, name: str | None = None) -> str:
        """GET; a failure unless it answers 200, or if a signed-in page sends to sign in."""
        with self.client.get(
            path, name=name or path, context={"journey": journey}, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on {path}")
                return ""
            if self.signed_in and "/accounts/login/" in str(response.url):
                response.failure(f"signed out: {path} sent to {response.url}")
                return ""
            return str(response.text)

    def post(
        self,
        journey: str,
        path: str,
        data: dict[str, str],
        *,
        expect: str,
        refuse: str = "",
        name: str | None = None,
    ) -> str:
        """POST, following redirects; a failure unless the final URL has `expect` (not `refuse`)."""
        with self.client.post(
            path,
            data=data,
            name=name or path,
            context={"journey": journey},
            headers={"Referer": self.base + path},
            catch_response=True,
        ) as response:
            url = str(response.url)
            if response.status_code != 200 or expect not in url or (refuse and refuse in url):
                response.failure(f"{response.status_code} at {response.url}, expected {expect}")
                return ""
            return str(response.text)

    def sign_in(self) -> bool:
        html = self.page("sign in", "/accounts/login/")
        token = CSRF_INPUT.search(html)
        if token is None:
            return False
        self.signed_in = bool(
            self.post(
                "sign in",
                "/accounts/login/",
                {
                    "csrfmiddlewaretoken": token.group(1),
                    "login": self.subscriber["email"],
                    "password": PASSWORD,
                },
                expect="/",
                refuse="/accounts/login/",
            )
        )
        return self.signed_in

    def signed_in_page(self, journey: str, path: str) -> str:
        """A page of the account, signing in first if the last sign-in did not go through."""
        if not self.signed_in and not self.sign_in():
            return ""
        return self.page(journey, path)

    @task(1)
    @journey("sign in")
    def sign_out_and_in(self) -> bool:
        html = self.signed_in_page("sign in", "/")
        token = CSRF_INPUT.search(html)
        if token is None:
            return False
        self.post(
            "sign in", "/accounts/logout/", {"csrfmiddlewaretoken": token.group(1)}, expect="/"
        )
        self.signed_in = False
        self.client.cookies.clear()
        return self.sign_in()

    @task(6)
    @journey("my account")
    def my_account(self) -> bool:
        return bool(self.signed_in_page("my account", "/"))

    @task(2)
    @journey("renew and pay")
    def renew_and_pay(self) -> bool:
        html = self.signed_in_page("renew and pay", "/")
        token = CSRF_INPUT.search(html)
        if token is None:
            return False
        serial = secrets.choice(self.subscriber["devices"])
        checkout = self.post(
            "renew and pay",
            f"/renew/devices/{serial}/",
            {"csrfmiddlewaretoken": token.group(1)},
            expect="/renew/checkout/",
            name="/renew/devices/[serial]/",
        )
        if not checkout:
            return False
        data = {
            "csrfmiddlewaretoken": hidden(checkout, "csrfmiddlewaretoken"),
            "card": checked_card(checkout),
            "idempotency_key": hidden(checkout, "idempotency_key"),
            "total": hidden(checkout, "total"),
        }
        # A customer whose "Pay" got no answer presses it again: same page, same key.
        for _attempt in range(3):
            if self.post("renew and pay", "/renew/checkout/", data, expect="/done/"):
                return True
            time.sleep(1)
        return False

    @task(1)
    @journey("redeem a Re-Up card")
    def redeem_a_reup_card(self) -> bool | None:
        if not self.pins:
            return None
        html = self.signed_in_page("redeem a Re-Up card", "/account/reup/")
        if not html:
            return False
        return bool(
            self.post(
                "redeem a Re-Up card",
                "/account/reup/",
                {
                    "csrfmiddlewaretoken": hidden(html, "csrfmiddlewaretoken"),
                    "pin": self.pins.pop(),
                    "device": secrets.choice(self.subscriber["devices"]),
                },
                expect="/account/reup/RU",
            )
        )

    @task(3)
    @journey("find a store")
    def find_a_store(self) -> bool:
        return bool(
            self.page("find a store", "/stores/?q=" + secrets.choice(SEARCHES), name="/stores/?q=")
        )
