"""Staff alerts: logged when raised, one per incident, listed and acknowledged in the admin."""

import logging

import pytest

from conftest import sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.core.models import StaffAlert
from plugline.core.services import staff_alert_raise

pytestmark = pytest.mark.django_db


def test_it_logs_each_raise_and_keeps_one_alert_per_incident(caplog):
    with caplog.at_level(logging.WARNING, logger="plugline.core.services"):
        for _ in range(3):
            staff_alert_raise(
                kind="reup_guessing",
                message="Failed Re-Up PINs from one account",
                dedupe_key="reup:user:7:2026-11-29T14:00",
                data={"user": 7},
            )

    alert = StaffAlert.objects.get()
    assert (alert.kind, alert.repeats, alert.data) == ("reup_guessing", 2, {"user": 7})
    assert len([r for r in caplog.records if "reup_guessing" in r.getMessage()]) == 3


def test_staff_see_alerts_in_the_admin_and_acknowledge_them(client):
    staff = User.objects.create_superuser("sam@example.com", "a staff passphrase here")
    alert = staff_alert_raise(
        kind="reup_guessing", message="Failed Re-Up PINs from one address", dedupe_key="k1"
    )
    sign_in_with_two_factor(client, staff)

    listing = client.get("/admin/core/staffalert/")
    client.post(
        "/admin/core/staffalert/",
        {"action": "acknowledge", "_selected_action": [alert.pk]},
    )

    assert listing.status_code == 200
    assert "Failed Re-Up PINs from one address" in listing.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.acknowledged_by == staff
