"""`/metrics`: Prometheus metrics (django-prometheus), for the operator's monitoring only.

Off unless METRICS_ENABLED is set; then django-prometheus counts requests,
responses and latencies per view, and `/metrics` is answered only to the
addresses in METRICS_ALLOWED_IPS (default the machine itself), any other
client gets 404 as if there were nothing there. The client's address is
plugline.core.http.client_ip's, so a visitor coming through nginx is judged
by their own address, not nginx's loopback one (and the nginx site refuses
`/metrics` anyway).

Like `/healthz`, it is answered by a middleware before the HTTPS redirect
and the host check, so Prometheus can scrape the application server over
plain HTTP on loopback (`http://127.0.0.1:8000/metrics`). With several
gunicorn workers, PROMETHEUS_MULTIPROC_DIR (set by the web unit in
deploy/systemd) makes every scrape add up all of them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_prometheus.exports import ExportToDjangoView

from plugline.core.http import client_ip

PATH = "/metrics"


class MetricsMiddleware:
    """Answers `GET /metrics` to the allowed addresses; everyone else goes on to a 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info == PATH and request.method in ("GET", "HEAD") and self.allows(request):
            return ExportToDjangoView(request)
        return self.get_response(request)

    def allows(self, request: HttpRequest) -> bool:
        address = client_ip(request)
        if address is None:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in settings.METRICS_ALLOWED_IPS)
