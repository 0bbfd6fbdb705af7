"""`/metrics`: Prometheus metrics, only when enabled and only to the allowed addresses."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client

from plugline.core.tests.test_settings import manage

METRICS_MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "plugline.core.metrics.MetricsMiddleware",
]


@pytest.fixture
def metrics_on(settings) -> None:
    """What METRICS_ENABLED=1 puts in settings.py, for this test's client."""
    settings.METRICS_ENABLED = True
    settings.MIDDLEWARE = [
        *METRICS_MIDDLEWARE,
        *settings.MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]


@pytest.mark.django_db
def test_it_serves_request_counts_to_the_machine_itself(client: Client, metrics_on) -> None:
    client.get("/stores/")

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "django_http_requests_total_by_method_total" in body
    assert 'django_http_responses_total_by_status_total{status="200"}' in body


@pytest.mark.django_db
def test_it_answers_404_to_a_public_address(client: Client, metrics_on) -> None:
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.5")

    assert response.status_code == 404
    assert b"django_http" not in response.content


@pytest.mark.django_db
def test_it_judges_a_visitor_through_nginx_by_their_own_address(
    client: Client, metrics_on, settings
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert response.status_code == 404


@pytest.mark.django_db
def test_it_serves_an_allowed_network(client: Client, metrics_on, settings) -> None:
    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.20.0.0/16")]

    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_it_has_no_metrics_page_unless_enabled(client: Client, settings) -> None:
    assert settings.METRICS_ENABLED is False

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 404


def test_it_refuses_to_start_with_an_allowed_entry_that_is_not_an_address(tmp_path) -> None:
    result = manage(
        "check",
        env={"DEBUG": "1", "METRICS_ENABLED": "1", "METRICS_ALLOWED_IPS": "127.0.0.1,prometheus"},
        tmp_path=tmp_path,
    )

    assert result.returncode != 0
    assert "METRICS_ALLOWED_IPS must list addresses or networks, not 'prometheus'" in result.stderr


def test_it_adds_the_counting_middleware_when_enabled(tmp_path) -> None:
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.MIDDLEWARE[:2], settings.MIDDLEWARE[-1])",
        env={"DEBUG": "1", "METRICS_ENABLED": "1"},
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert str(METRICS_MIDDLEWARE) in result.stdout
    assert "PrometheusAfterMiddleware" in result.stdout
