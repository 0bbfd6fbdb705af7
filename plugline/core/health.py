"""`/healthz`: is this web process able to serve? For load balancers, systemd and monitoring.

It checks the database (`SELECT 1`) and Redis when REDIS_URL is set (a PING;
the embedded default has no Redis, reported as "not configured", not as a
failure), and answers 200 with a small JSON body when both can be used, 503
naming the failing part otherwise. It says nothing else: no version, no
address, no error text.

It is answered by a middleware at the top of the stack, so a probe costs one
query and one PING: no session is read or written, no user looked up, no
signed-in activity recorded, no rate limit counted, and a probe over plain
HTTP from the machine itself (`curl http://127.0.0.1:8000/healthz`) is not
redirected to HTTPS.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

logger = logging.getLogger(__name__)

PATH = "/healthz"
# A probe must answer quickly even when Redis is unreachable (a firewalled
# host never refuses, it just does not answer).
REDIS_TIMEOUT_SECONDS = 2.0

OK = "ok"
FAILING = "failing"
NOT_CONFIGURED = "not configured"


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health check: the database cannot be queried", exc_info=True)
        return FAILING
    return OK


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    # One client (and its connection pool) per URL for the life of the process.
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


def redis_state() -> str:
    url = settings.REDIS_URL
    if not url:
        return NOT_CONFIGURED
    try:
        _redis_client(url).ping()
    except Exception:
        # The message names the host and port, never the URL's password.
        logger.warning("Health check: Redis does not answer", exc_info=True)
        return FAILING
    return OK


def health_response() -> HttpResponse:
    parts = {"database": database_state(), "redis": redis_state()}
    healthy = FAILING not in parts.values()
    body = {"status": OK if healthy else FAILING, **parts}
    response = HttpResponse(
        json.dumps(body), content_type="application/json", status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers `GET /healthz` before any other middleware runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
