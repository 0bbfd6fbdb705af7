from __future__ import annotations

from django.test import Client

from conftest import Subscriber, make_subscriber, sign_in_with_two_factor


def test_staff_see_sign_in_events_in_the_admin(alice: Subscriber, client: Client):
    Client().post("/accounts/login/", {"login": "2125550147", "password": "wrong"})
    staff = make_subscriber("staff@example.com", numbers=())
    staff.user.is_staff = staff.user.is_superuser = True
    staff.user.save()
    sign_in_with_two_factor(client, staff.user)
    page = client.get("/admin/core/auditevent/").content.decode()
    assert "Failed sign-in" in page
    assert "+12125550147" in page
    assert "alice@example.com" in page


def test_the_audit_log_cannot_be_edited_from_the_admin(alice: Subscriber, client: Client):
    Client().post("/accounts/login/", {"login": alice.email, "password": alice.password})
    staff = make_subscriber("staff@example.com", numbers=())
    staff.user.is_staff = staff.user.is_superuser = True
    staff.user.save()
    sign_in_with_two_factor(client, staff.user)
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    from plugline.core.models import AuditEvent

    event = AuditEvent.objects.first()
    assert event is not None
    assert (
        client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_subscribers_cannot_open_the_admin(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    response = client.get("/admin/core/auditevent/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
