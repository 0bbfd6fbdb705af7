"""The staff consoles' door: staff only, signed in with two-factor, with the role's permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from conftest import Subscriber, sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.accounts.staff_access import staff_required
from plugline.urls import urlpatterns as site_urlpatterns


@staff_required()
def console_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("console")


@staff_required("billing.view_payment")
def payments_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("payments")


urlpatterns = [
    path("test-console/", console_page),
    path("test-console/payments/", payments_page),
    *site_urlpatterns,
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def agent(alice: Subscriber) -> User:
    """Staff without any permission."""
    alice.user.is_staff = True
    alice.user.save()
    return alice.user


def test_it_sends_a_visitor_to_sign_in_first(client: Client, db: None):
    response = client.get("/test-console/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Ftest-console%2F"


def test_it_refuses_a_subscriber(client: Client, bob: Subscriber):
    sign_in_with_two_factor(client, bob.user)
    assert client.get("/test-console/").status_code == 403


def test_it_sends_staff_without_two_factor_to_turn_it_on(client: Client, agent: User):
    client.force_login(agent)
    response = client.get("/test-console/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Turn on two-factor sign-in to open the staff pages." in page


def test_it_asks_staff_signed_in_before_turning_two_factor_on_for_a_code(
    client: Client, agent: User
):
    sign_in_with_two_factor(client, agent)
    client.logout()
    client.force_login(agent)  # a session without the code
    response = client.get("/test-console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/?next=")


def test_it_opens_to_staff_signed_in_with_two_factor(client: Client, agent: User):
    sign_in_with_two_factor(client, agent)
    assert client.get("/test-console/").content == b"console"


def test_it_refuses_staff_without_the_pages_permission(client: Client, agent: User):
    sign_in_with_two_factor(client, agent)
    assert client.get("/test-console/payments/").status_code == 403
    agent.user_permissions.add(Permission.objects.get(codename="view_payment"))
    agent = User.objects.get(pk=agent.pk)
    assert client.get("/test-console/payments/").content == b"payments"
