"""Each request's id (plugline.core.request_ids): in its log lines and its response."""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django_guid.context import guid
from django_guid.log_filters import CorrelationId

from plugline.core.request_ids import request_id_middleware, request_id_of

NGINX_ID = "6f1c2b7e9d0a4c3b8e5f1a2b3c4d5e6f"
NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "given",
    [NGINX_ID, NGINX_ID.upper(), "6f1c2b7e-9d0a-4c3b-8e5f-1a2b3c4d5e6f"],
)
def test_it_keeps_the_id_nginx_gave(given: str) -> None:
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=given)
    assert request_id_of(request) == given


@pytest.mark.parametrize(
    "given",
    [
        "",
        "42",
        NGINX_ID + "0",
        NGINX_ID[:-1] + "g",
        NGINX_ID + "\r\nSet-Cookie: a=b",
        "{" + NGINX_ID + "}",
        "6f1c2b7e-9d0a-4c3b-8e5f1a2b3c4d5e6f",
    ],
)
def test_anything_else_is_replaced_by_a_new_id(given: str) -> None:
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=given)
    found = request_id_of(request)
    assert NEW_ID.fullmatch(found) and found != given


def test_each_request_without_one_gets_a_new_one() -> None:
    ids = {request_id_of(RequestFactory().get("/")) for _ in range(100)}
    assert len(ids) == 100 and all(NEW_ID.fullmatch(each) for each in ids)


@pytest.mark.django_db
def test_the_response_carries_it_back_and_it_is_cleared_once_the_request_is_done() -> None:
    client = Client()
    given = client.get("/accounts/login/", HTTP_X_REQUEST_ID=NGINX_ID)
    assert given["X-Request-ID"] == NGINX_ID
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")
    assert NEW_ID.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert guid.get() is None


def test_every_line_logged_while_the_request_is_served_has_it() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(CorrelationId(correlation_id_field="request_id"))
    logger = logging.getLogger("plugline.request_ids_test")
    logger.addHandler(handler)

    def view(_request: HttpRequest) -> HttpResponse:
        logger.warning("while served")
        return HttpResponse()

    try:
        response = request_id_middleware(view)(
            RequestFactory().get("/", HTTP_X_REQUEST_ID=NGINX_ID)
        )
    finally:
        logger.removeHandler(handler)
    assert response["X-Request-ID"] == NGINX_ID
    assert [record.request_id for record in records] == [NGINX_ID]  # type: ignore[attr-defined]


def test_it_serves_asynchronous_views_too() -> None:
    async def view(_request: HttpRequest) -> HttpResponse:
        return HttpResponse(guid.get())

    middleware = request_id_middleware(view)
    assert iscoroutinefunction(middleware)
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=NGINX_ID)
    # In a thread of its own: the browser tests leave an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        response = thread.submit(asyncio.run, middleware(request)).result()
    assert response["X-Request-ID"] == NGINX_ID
    assert response.content.decode() == NGINX_ID
