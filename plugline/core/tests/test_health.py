"""`/healthz`: what a load balancer or a monitoring probe sees (plugline.core.health)."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test import Client

from conftest import make_subscriber
from plugline.core.ports import free_port


@pytest.mark.django_db
def test_it_answers_200_with_each_part_when_healthy(client: Client, settings) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    expected_redis = "ok" if settings.REDIS_URL else "not configured"
    assert response.json() == {"status": "ok", "database": "ok", "redis": expected_redis}


@pytest.mark.django_db
def test_it_reports_redis_as_not_configured_in_the_embedded_default(
    client: Client, settings
) -> None:
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["redis"] == "not configured"


@pytest.mark.django_db
def test_it_answers_503_naming_the_database_when_it_cannot_be_queried(
    client: Client, monkeypatch
) -> None:
    def broken_cursor(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection to server at 127.0.0.1 failed")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["database"] == "failing"
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_it_answers_503_naming_redis_when_it_does_not_answer(client: Client, settings) -> None:
    settings.REDIS_URL = f"redis://:hunter2secret@127.0.0.1:{free_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "redis": "failing"}
    assert "hunter2secret" not in response.content.decode()


@pytest.mark.django_db
def test_it_costs_one_query_and_writes_no_session_for_a_signed_in_browser(
    client: Client, django_assert_num_queries
) -> None:
    subscriber = make_subscriber()
    client.force_login(subscriber.user)

    with django_assert_num_queries(1):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert "Set-Cookie" not in str(response.cookies) and not response.cookies
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_it_is_not_redirected_to_https_for_a_probe_on_the_machine(client: Client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.net"]

    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200
