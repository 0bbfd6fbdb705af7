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

import itertools
import json
import os
import re
import secrets
import time
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
        self.sign_in()

    def page(self, journey: str, path: str, name: str | None = None) -> str:
        with self.client.get(
            path, name=name or path, context={"journey": journey}, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on {path}")
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

    def sign_in(self) -> None:
        html = self.page("sign in", "/accounts/login/")
        if not html:
            return
        self.post(
            "sign in",
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": CSRF_INPUT.search(html).group(1),  # type: ignore[union-attr]
                "login": self.subscriber["email"],
                "password": PASSWORD,
            },
            expect="/",
            refuse="/accounts/login/",
        )

    @task(6)
    def my_account(self) -> None:
        html = self.page("my account", "/")
        if html and "/accounts/login/" in html and 'name="password"' in html:
            self.sign_in()

    @task(2)
    def renew_and_pay(self) -> None:
        html = self.page("renew and pay", "/")
        if not html:
            return
        token = CSRF_INPUT.search(html)
        serial = secrets.choice(self.subscriber["devices"])
        checkout = self.post(
            "renew and pay",
            f"/renew/devices/{serial}/",
            {"csrfmiddlewaretoken": token.group(1) if token else ""},
            expect="/renew/checkout/",
            name="/renew/devices/[serial]/",
        )
        if not checkout:
            return
        data = {
            "csrfmiddlewaretoken": hidden(checkout, "csrfmiddlewaretoken"),
            "card": checked_card(checkout),
            "idempotency_key": hidden(checkout, "idempotency_key"),
            "total": hidden(checkout, "total"),
        }
        # A customer whose "Pay" got no answer presses it again: same page, same key.
        for _attempt in range(3):
            if self.post("renew and pay", "/renew/checkout/", data, expect="/done/"):
                return
            time.sleep(1)

    @task(1)
    def redeem_a_reup_card(self) -> None:
        if not self.pins:
            return
        html = self.page("redeem a Re-Up card", "/account/reup/")
        if not html:
            return
        pin = self.pins.pop()
        self.post(
            "redeem a Re-Up card",
            "/account/reup/",
            {
                "csrfmiddlewaretoken": hidden(html, "csrfmiddlewaretoken"),
                "pin": pin,
                "device": secrets.choice(self.subscriber["devices"]),
            },
            expect="/account/reup/RU",
        )

    @task(3)
    def find_a_store(self) -> None:
        self.page("find a store", "/stores/?q=" + secrets.choice(SEARCHES), name="/stores/?q=")

    @task(1)
    def sign_out_and_in(self) -> None:
        html = self.page("sign in", "/")
        token = CSRF_INPUT.search(html)
        if token:
            self.post(
                "sign in",
                "/accounts/logout/",
                {"csrfmiddlewaretoken": token.group(1)},
                expect="/",
            )
        self.client.cookies.clear()
        self.sign_in()
