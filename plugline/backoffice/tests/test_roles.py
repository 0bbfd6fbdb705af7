"""Each role sees and does only what it allows; every staff page asks for two-factor."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import translation

from plugline.accounts.models import User
from plugline.backoffice import roles
from plugline.backoffice.tests.conftest import Customer, console_for, staff_with_role
from plugline.devices.models import Device
from plugline.sandbox_gateway.models import SandboxRefund


def page(client: Client, customer: Customer) -> str:
    response = client.get(reverse("backoffice:customer", kwargs={"pk": customer.user.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_a_support_agent_sees_no_refund_button_and_is_refused_the_refund(
    customer: Customer, agent_client: Client
) -> None:
    html = page(agent_client, customer)
    assert "Send the receipt again" in html and "Suspend the line" in html
    assert "Email a password reset link" in html
    assert ">Refund<" not in html and "Give goodwill days" not in html
    response = agent_client.post(
        reverse(
            "backoffice:refund",
            kwargs={"pk": customer.user.pk, "payment_id": customer.payment.pk},
        ),
        {"amount": "10.00", "reason": "Trying"},
    )
    assert response.status_code == 403
    assert not SandboxRefund.objects.exists()
    response = agent_client.post(
        reverse(
            "backoffice:goodwill",
            kwargs={"pk": customer.user.pk, "device_id": customer.device.pk},
        ),
        {"days": "10", "reason": "Trying"},
    )
    assert response.status_code == 403


def test_billing_staff_see_the_refund_and_goodwill_forms(
    customer: Customer, billing_client: Client
) -> None:
    html = page(billing_client, customer)
    assert ">Refund<" in html and "Give goodwill days" in html
    assert "Remove two-factor sign-in" not in html


def test_inventory_staff_cannot_open_the_console_but_can_manage_devices_in_the_admin(
    customer: Customer, inventory_staff: User
) -> None:
    client = console_for(inventory_staff)
    assert client.get(reverse("backoffice:home")).status_code == 403
    assert client.get(reverse("admin:devices_device_changelist")).status_code == 200
    assert client.get(reverse("admin:reup_reupbatch_changelist")).status_code == 200
    assert client.get(reverse("admin:stores_store_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_payment_changelist")).status_code == 403
    response = client.post(
        reverse(
            "backoffice:suspend",
            kwargs={"pk": customer.user.pk, "device_id": customer.device.pk},
        ),
        {"reason": "Trying"},
    )
    assert response.status_code == 403
    assert Device.objects.get(pk=customer.device.pk).suspended_at is None


def test_an_administrator_holds_every_permission(customer: Customer) -> None:
    admin = staff_with_role("boss@example.com", roles.ADMINISTRATOR)
    assert admin.get_all_permissions() >= {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    html = page(console_for(admin), customer)
    assert ">Refund<" in html and "Give goodwill days" in html


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (
            roles.SUPPORT_AGENT,
            {"view_customer", "resend_receipt", "reset_customer_sign_in", "suspend_device"},
        ),
        (
            roles.BILLING,
            {
                "view_customer",
                "resend_receipt",
                "reset_customer_sign_in",
                "suspend_device",
                "refund_payment",
                "extend_service",
            },
        ),
        (roles.INVENTORY, set()),
    ],
)
def test_each_role_holds_exactly_its_console_permissions(
    db: None, role: str, allowed: set[str]
) -> None:
    group = Group.objects.get(name=role)
    console = set(
        group.permissions.filter(content_type__app_label="backoffice").values_list(
            "codename", flat=True
        )
    )
    assert console == allowed


def test_refreshing_the_roles_again_changes_nothing_and_restores_a_removed_permission(
    db: None,
) -> None:
    support = Group.objects.get(name=roles.SUPPORT_AGENT)
    support.permissions.remove(Permission.objects.get(codename="suspend_device"))
    roles.roles_refresh()
    roles.roles_refresh()
    assert Group.objects.filter(name=roles.SUPPORT_AGENT).count() == 1
    assert support.permissions.filter(codename="suspend_device").exists()


def test_it_refuses_a_role_that_names_a_permission_that_does_not_exist(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(roles.ROLES, roles.SUPPORT_AGENT, ("chat.fly_to_the_moon",))
    with pytest.raises(LookupError, match=r"chat\.fly_to_the_moon"):
        roles.roles_refresh()


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Support agent"), ("fr", "Agent d\u2019assistance"), ("da", "Supportmedarbejder")],
)
def test_it_shows_the_role_names_translated(language: str, label: str) -> None:
    with translation.override(language):
        assert roles.role_label(roles.SUPPORT_AGENT) == label


def test_staff_without_two_factor_cannot_open_the_console_or_the_admin(
    customer: Customer, support_agent: User, staff: User
) -> None:
    client = Client()
    client.force_login(support_agent)
    response = client.get(reverse("backoffice:customer", kwargs={"pk": customer.user.pk}))
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # The admin's login sends staff on to turn two-factor on, not back to the admin.
    response = client.get(response["Location"])
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]


def test_a_subscriber_cannot_open_the_console(customer: Customer, client: Client) -> None:
    client.force_login(customer.user)
    assert client.get(reverse("backoffice:home")).status_code == 403


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Your roles: Support agent"), ("fr", "Vos rôles\u00a0: Agent d\u2019assistance")],
)
def test_it_tells_staff_their_roles_in_their_language(
    agent_client: Client, support_agent: User, language: str, shown: str
) -> None:
    support_agent.language = language
    support_agent.save(update_fields=["language"])
    assert shown in agent_client.get(reverse("backoffice:home")).content.decode()


def test_the_admin_lists_the_roles_in_the_staff_members_language(
    staff_client: Client, staff: User
) -> None:
    staff.language = "da"
    staff.save(update_fields=["language"])
    page = staff_client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert "Supportmedarbejder" in page and "Afregning" in page and "Lager" in page


@pytest.mark.django_db
def test_the_top_bar_leads_staff_and_only_staff_to_the_console(client: Client) -> None:
    from conftest import make_subscriber

    subscriber = make_subscriber("sue@example.com", numbers=())
    client.force_login(subscriber.user)
    assert 'href="/staff/"' not in client.get("/account/").content.decode()
    subscriber.user.is_staff = True
    subscriber.user.save()
    assert '<a href="/staff/">Staff</a>' in client.get("/account/").content.decode()
