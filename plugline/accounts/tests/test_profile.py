"""Profile: name, contact address checked for its country, language and time zone."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.services import audit_record

PROFILE = "/account/profile/"
ACCOUNT = "/account/"
SECURITY = "/account/security/"
SESSIONS = "/accounts/sessions/"
LOGIN = "/accounts/login/"
MORNING = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)

MONTREAL = {
    "first_name": "Alice",
    "last_name": "Archer",
    "country": "CA",
    "street_address": "1000  rue Sherbrooke Ouest",
    "street_address_2": "Bureau 200",
    "city": "Montréal",
    "country_area": "quebec",
    "postal_code": "h3a3g4",
    "language": "en",
    "time_zone": "America/Toronto",
}


def form_data(**changes: str) -> dict[str, str]:
    return {**MONTREAL, **changes}


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def field_value(page: str, name: str) -> str:
    match = re.search(rf'<input type="text" name="{name}" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else ""


def errors_of(page: str, name: str) -> list[str]:
    match = re.search(rf'<ul class="errorlist" id="id_{name}_error">(.*?)</ul>', page, re.S)
    if match is None:
        return []
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1))]


def selected(page: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select is not None
    option = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return option.group(1) if option else ""


@pytest.fixture
def signed_in(alice: Subscriber, client: Client) -> Client:
    client.force_login(alice.user)
    return client


def test_it_is_linked_from_the_account_hub(signed_in: Client):
    page = signed_in.get(ACCOUNT).content.decode()
    assert f'href="{PROFILE}"' in page
    assert "Edit your profile" in page


def test_it_asks_a_visitor_to_sign_in(db: None, client: Client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_it_shows_the_profile_as_saved(alice: Subscriber, signed_in: Client):
    page = signed_in.get(PROFILE).content.decode()
    assert field_value(page, "first_name") == "Alice"
    assert field_value(page, "last_name") == "Archer"
    assert selected(page, "language") == "en"
    assert selected(page, "time_zone") == "UTC"
    assert selected(page, "country") == ""
    for label in ("Street address", "City", "State or province", "ZIP or postal code"):
        assert f">{label}</label>" in page


def test_it_saves_a_canadian_address_in_its_normal_form(alice: Subscriber, signed_in: Client):
    response = signed_in.post(PROFILE, form_data(), follow=True)
    assert "Your profile is saved." in response.content.decode()
    user = fresh(alice.user)
    assert (user.street_address, user.street_address_2, user.city) == (
        "1000 rue Sherbrooke Ouest",
        "Bureau 200",
        "Montréal",
    )
    assert (user.country_area, user.postal_code, user.country) == ("QC", "H3A 3G4", "CA")
    assert user.time_zone == "America/Toronto"
    page = response.content.decode()
    assert field_value(page, "postal_code") == "H3A 3G4"
    assert field_value(page, "country_area") == "QC"


def test_it_refuses_a_bad_canadian_postal_code_and_keeps_everything_typed(
    alice: Subscriber, signed_in: Client
):
    response = signed_in.post(
        PROFILE, form_data(first_name="Alicia", postal_code="H3A 3G", street_address_2="Apt 9")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert errors_of(page, "postal_code") == [
        "Enter a Canadian postal code of 6 letters and digits, such as H3Z 2Y7."
    ]
    assert 'aria-describedby="id_postal_code_error"' in page
    assert 'href="#id_postal_code"' in page  # the summary at the top leads to the field
    for name, typed in [
        ("first_name", "Alicia"),
        ("street_address", "1000  rue Sherbrooke Ouest"),
        ("street_address_2", "Apt 9"),
        ("city", "Montréal"),
        ("country_area", "quebec"),
        ("postal_code", "H3A 3G"),
    ]:
        assert field_value(page, name) == typed
    assert selected(page, "country") == "CA"
    assert selected(page, "time_zone") == "America/Toronto"
    # Nothing is saved until everything is right.
    user = fresh(alice.user)
    assert (user.first_name, user.postal_code, user.time_zone) == ("Alice", "", "UTC")
    assert not AuditEvent.objects.filter(action=AuditAction.PROFILE_CHANGED).exists()


def test_it_refuses_a_postal_code_of_another_province(alice: Subscriber, signed_in: Client):
    # M5V is Toronto, Ontario: not a Quebec code.
    page = signed_in.post(PROFILE, form_data(postal_code="M5V 2T6")).content.decode()
    assert errors_of(page, "postal_code") == [
        "This postal code does not belong to the province or territory (QC)."
    ]
    assert fresh(alice.user).postal_code == ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"country_area": "Texas", "postal_code": "1234"},
            "postal_code",
            "Enter a ZIP code of 5 digits, such as 95014, or ZIP+4, such as 22162-1010.",
        ),
        (
            {"country_area": "XY", "postal_code": "10001"},
            "country_area",
            "Enter a US state as its two-letter code, such as NY, or its full name.",
        ),
        (
            {"country_area": "", "postal_code": "10001"},
            "country_area",
            "Enter the state.",
        ),
        (
            {"country_area": "CA", "postal_code": "10001"},
            "postal_code",
            "This ZIP code does not belong to the state (CA).",
        ),
        ({"city": "", "postal_code": "10001", "country_area": "NY"}, "city", "Enter the city."),
    ],
)
def test_it_checks_us_states_and_zip_codes(
    alice: Subscriber, signed_in: Client, changes: dict[str, str], field: str, message: str
):
    data = form_data(country="US", street_address="350 Fifth Avenue", city="New York")
    page = signed_in.post(PROFILE, {**data, **changes}).content.decode()
    assert errors_of(page, field) == [message]
    assert fresh(alice.user).country == ""


def test_it_saves_a_us_address_with_its_state_code_and_zip_plus_4(
    alice: Subscriber, signed_in: Client
):
    signed_in.post(
        PROFILE,
        form_data(
            country="US",
            street_address="350 Fifth Avenue",
            street_address_2="",
            city="New York",
            country_area="new york",
            postal_code="101180110",
            time_zone="America/New_York",
        ),
    )
    user = fresh(alice.user)
    assert (user.city, user.country_area, user.postal_code) == ("New York", "NY", "10118-0110")


def test_it_checks_danish_postal_codes_and_drops_the_region_denmark_does_not_use(
    alice: Subscriber, signed_in: Client
):
    data = form_data(
        country="DK",
        street_address="Kongens Nytorv 1",
        street_address_2="",
        city="København K",
        country_area="Sjælland",
        time_zone="Europe/Copenhagen",
    )
    page = signed_in.post(PROFILE, {**data, "postal_code": "105"}).content.decode()
    assert errors_of(page, "postal_code") == [
        "Enter a Danish postal code of 4 digits, such as 8660."
    ]
    signed_in.post(PROFILE, {**data, "postal_code": "DK-1050"})
    user = fresh(alice.user)
    assert (user.postal_code, user.city, user.country_area) == ("1050", "København K", "")


def test_it_asks_for_the_rest_of_a_half_typed_address(alice: Subscriber, signed_in: Client):
    page = signed_in.post(
        PROFILE,
        form_data(country="", street_address="", street_address_2="", city="Montréal"),
    ).content.decode()
    assert errors_of(page, "country") == ["Choose a country."]
    page = signed_in.post(
        PROFILE, form_data(street_address="", country_area="", postal_code="")
    ).content.decode()
    assert errors_of(page, "street_address") == ["Enter the street address: number and street."]
    assert errors_of(page, "country_area") == ["Enter the province or territory."]
    assert errors_of(page, "postal_code") == ["Enter the postal code."]


def test_it_accepts_a_profile_without_an_address(alice: Subscriber, signed_in: Client):
    empty = dict.fromkeys(
        ("country", "street_address", "street_address_2", "city", "country_area", "postal_code"),
        "",
    )
    response = signed_in.post(PROFILE, form_data(**empty, first_name="Alicia"), follow=True)
    assert "Your profile is saved." in response.content.decode()
    assert fresh(alice.user).first_name == "Alicia"


def test_it_audits_which_fields_changed_and_never_their_values(
    alice: Subscriber, signed_in: Client
):
    signed_in.post(PROFILE, form_data())
    event = AuditEvent.objects.get(action=AuditAction.PROFILE_CHANGED)
    assert event.user == alice.user
    assert event.data == {
        "fields": [
            "street_address",
            "street_address_2",
            "city",
            "country_area",
            "postal_code",
            "country",
            "time_zone",
        ]
    }
    assert "Montr" not in str(event.data) and "H3A" not in str(event.data)

    signed_in.post(PROFILE, form_data(last_name="Smith"))
    latest = AuditEvent.objects.filter(action=AuditAction.PROFILE_CHANGED).first()
    assert latest is not None and latest.data == {"fields": ["last_name"]}


def test_it_saves_nothing_and_audits_nothing_when_nothing_changed(
    alice: Subscriber, signed_in: Client
):
    signed_in.post(PROFILE, form_data())
    response = signed_in.post(PROFILE, form_data(), follow=True)
    assert "Nothing changed." in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.PROFILE_CHANGED).count() == 1


def test_changing_the_language_changes_the_accounts_language(alice: Subscriber, signed_in: Client):
    response = signed_in.post(PROFILE, form_data(language="fr"))
    assert response.status_code == 302
    assert response.cookies["plugline_language"].value == "fr"
    assert fresh(alice.user).language == "fr"
    event = AuditEvent.objects.get(action=AuditAction.LANGUAGE_CHANGED)
    assert event.data == {"from": "en", "to": "fr"}
    page = signed_in.get(PROFILE)
    assert page.headers["Content-Language"] == "fr"
    assert selected(page.content.decode(), "language") == "fr"


def test_it_offers_the_common_time_zones_first_then_every_other(signed_in: Client):
    page = signed_in.get(PROFILE).content.decode()
    select = re.search(r'<select name="time_zone".*?</select>', page, re.S)
    assert select is not None
    groups = re.findall(r'<optgroup label="([^"]+)">', select.group(0))
    assert groups == ["Common time zones", "All time zones"]
    values = re.findall(r'<option value="([^"]+)"', select.group(0))
    assert values[0] == "America/New_York"
    assert values.index("Europe/Copenhagen") < values.index("UTC") < values.index("Africa/Abidjan")
    assert "Asia/Tokyo" in values and "Australia/Sydney" in values
    assert len(values) == len(set(values)) > 300


def test_it_refuses_a_time_zone_that_does_not_exist(alice: Subscriber, signed_in: Client):
    page = signed_in.post(PROFILE, form_data(time_zone="Mars/Olympus_Mons")).content.decode()
    assert errors_of(page, "time_zone")
    assert fresh(alice.user).time_zone == "UTC"


def test_it_shows_dates_in_the_subscribers_time_zone(alice: Subscriber, signed_in: Client):
    with time_machine.travel(MORNING, tick=False):
        audit_record(action=AuditAction.SIGN_IN, user=alice.user)
        signed_in.post(PROFILE, form_data(time_zone="America/Vancouver"))
        page = signed_in.get(SECURITY).content.decode()
    # 14:30 UTC is 6:30 in Vancouver (PST, UTC-8) in early March.
    assert "March 2, 2026, 6:30 a.m. PST" in page
    assert "Times are in your time zone, America/Vancouver" in page


def test_the_time_zone_does_not_follow_the_thread_to_the_next_request(
    alice: Subscriber, signed_in: Client
):
    signed_in.post(PROFILE, form_data(time_zone="Asia/Tokyo"))
    signed_in.get(SECURITY)
    assert timezone.get_current_timezone_name() == "UTC"
    someone_else = make_subscriber("someone@example.com", numbers=("+12125550999",))
    other = Client()
    other.force_login(someone_else.user)
    assert "Times are in your time zone, UTC" in other.get(SECURITY).content.decode()


def test_it_shows_the_errors_in_the_subscribers_language(db: None):
    # Fails until the French catalog with the Account area's strings is compiled.
    claire = make_subscriber("claire@example.com", language="fr", numbers=("+14165550111",))
    client = Client()
    client.force_login(claire.user)
    page = client.post(PROFILE, form_data(language="fr", postal_code="H3A 3G")).content.decode()
    assert errors_of(page, "postal_code") == [
        "Saisissez un code postal canadien de 6 lettres et chiffres, par exemple H3Z 2Y7."
    ]
