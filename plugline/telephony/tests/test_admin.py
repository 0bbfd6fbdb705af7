"""The number inventory in the operator's admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from plugline.telephony.models import NumberStatus, PhoneNumber


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def numbers(db: None) -> None:
    PhoneNumber.objects.create(
        e164="+12125550160", country="US", area_code="212", city="New York", region="NY"
    )
    PhoneNumber.objects.create(
        e164="+14165550160",
        country="CA",
        area_code="416",
        city="Toronto",
        region="ON",
        status=NumberStatus.RESERVED,
        reserved_for="activation:1",
        reserved_until=timezone.now() + timedelta(minutes=15),
    )


def test_staff_see_the_numbers_and_filter_them_by_status_and_country(
    numbers: None, staff_client: Client
):
    everything = staff_client.get("/admin/telephony/phonenumber/").content.decode()
    reserved = staff_client.get(
        "/admin/telephony/phonenumber/", {"status__exact": "reserved"}
    ).content.decode()
    american = staff_client.get(
        "/admin/telephony/phonenumber/", {"country__exact": "US"}
    ).content.decode()

    assert "+12125550160" in everything and "+14165550160" in everything
    assert "+14165550160" in reserved and "+12125550160" not in reserved
    assert "+12125550160" in american and "+14165550160" not in american


@pytest.mark.parametrize(
    ("search", "found", "not_found"),
    [
        ("(416) 555-0160", "+14165550160", "+12125550160"),
        ("Toronto", "+14165550160", "+12125550160"),
        ("212", "+12125550160", "+14165550160"),
    ],
)
def test_staff_find_a_number_written_any_way_or_by_city(
    numbers: None, staff_client: Client, search: str, found: str, not_found: str
):
    page = staff_client.get("/admin/telephony/phonenumber/", {"q": search}).content.decode()

    assert found in page
    assert not_found not in page


def test_a_numbers_status_is_shown_not_edited(numbers: None, staff_client: Client):
    number = PhoneNumber.objects.get(e164="+14165550160")

    page = staff_client.get(f"/admin/telephony/phonenumber/{number.pk}/change/").content.decode()

    assert "Toronto" in page
    assert 'name="status"' not in page
    assert 'name="e164"' not in page
    assert staff_client.get("/admin/telephony/phonenumber/add/").status_code == 403
    assert (
        staff_client.post(
            f"/admin/telephony/phonenumber/{number.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
