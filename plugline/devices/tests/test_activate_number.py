"""Step 5 of the activation wizard: a free number, found by area code or city, held a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from plugline.devices.tests.wizard_factory import fresh, make_device, make_numbers, wizard_at
from plugline.devices.wizard.tasks import abandon_idle_activations
from plugline.telephony.models import NumberStatus, PhoneNumber
from plugline.telephony.services import number_reserve

NUMBER = "/activate/number/"
TERMS = "/activate/terms/"

pytestmark = pytest.mark.django_db


def status_of(e164: str) -> tuple[str, str]:
    number = PhoneNumber.objects.get(e164=e164)
    return number.status, number.reserved_for


def test_it_lists_free_numbers_by_area_code_formatted(client: Client):
    make_numbers("212", "New York", "NY")
    make_numbers("416", "Toronto", "ON")
    wizard_at(client, "number")
    page = client.get(NUMBER, {"area_code": "(416)"}).content.decode()
    assert "Step 5 of 7" in page
    assert "(416) 555-0110" in page
    assert 'value="+14165550110"' in page
    assert "(212) 555-0110" not in page


def test_it_lists_free_numbers_by_city_in_any_case(client: Client):
    make_numbers("212", "New York", "NY")
    make_numbers("416", "Toronto", "ON")
    wizard_at(client, "number")
    page = client.get(NUMBER, {"city": "toronto"}).content.decode()
    assert "(416) 555-0111" in page
    assert "(212) 555-0111" not in page


def test_it_starts_with_numbers_where_the_device_is_used(client: Client):
    make_numbers("212", "New York", "NY")
    wizard_at(client, "number")  # E911 address in New York
    page = client.get(NUMBER).content.decode()
    assert "(212) 555-0110" in page


def test_it_suggests_cities_when_none_has_that_name(client: Client):
    make_numbers("416", "Toronto", "ON")
    wizard_at(client, "number")
    page = client.get(NUMBER, {"city": "Toronot"}).content.decode()
    assert "No free numbers there right now." in page
    assert "?city=Toronto" in page


def test_it_explains_a_bad_area_code(client: Client):
    wizard_at(client, "number")
    page = client.get(NUMBER, {"area_code": "21"}).content.decode()
    assert "Enter an area code of 3 digits, such as 212." in page


def test_it_holds_the_chosen_number_for_this_wizard(client: Client, settings):
    settings.NUMBER_RESERVATION_MINUTES = 30
    numbers = make_numbers("212")
    activation = wizard_at(client, "number")
    response = client.post(NUMBER + "?area_code=212", {"number": numbers[1]})
    assert response["Location"] == TERMS
    assert fresh(activation).phone_number == numbers[1]
    assert status_of(numbers[1]) == (NumberStatus.RESERVED, activation.holder)
    # Coming back: the number is shown, held until when.
    page = client.get(NUMBER).content.decode()
    assert "(212) 555-0111" in page
    assert "We hold it for you until" in page


def test_it_lets_go_of_the_number_chosen_before(client: Client):
    numbers = make_numbers("212")
    wizard_at(client, "number")
    client.post(NUMBER, {"number": numbers[0]})
    client.post(NUMBER, {"number": numbers[2]})
    assert status_of(numbers[0]) == (NumberStatus.AVAILABLE, "")
    assert status_of(numbers[2])[0] == NumberStatus.RESERVED


def test_it_asks_to_choose_again_when_the_number_was_just_taken(client: Client):
    numbers = make_numbers("212")
    activation = wizard_at(client, "number")
    assert number_reserve(e164=numbers[0], holder="activation:someone-else")
    page = client.post(NUMBER + "?area_code=212", {"number": numbers[0]}).content.decode()
    assert "That number was just taken. Please choose another." in page
    # The list again, without the number taken.
    assert "(212) 555-0111" in page
    assert 'value="+12125550110"' not in page
    assert fresh(activation).phone_number == ""


def test_it_sends_back_to_this_step_when_someone_took_a_lapsed_hold(client: Client):
    numbers = make_numbers("212")
    activation = wizard_at(client, "terms", number=numbers[0])
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        # The hold lapsed and someone else chose the number.
        assert number_reserve(e164=numbers[0], holder="activation:someone-else")
        assert client.get(TERMS)["Location"] == NUMBER
        page = client.get(NUMBER).content.decode()
    assert "The number you chose, (212) 555-0110, was taken by someone else meanwhile." in page
    assert fresh(activation).phone_number == numbers[0]


def test_it_keeps_a_lapsed_hold_that_nobody_took(client: Client):
    numbers = make_numbers("212")
    wizard_at(client, "terms", number=numbers[0])
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert client.get(TERMS).status_code == 200


def test_it_refuses_a_number_not_in_the_list(client: Client):
    wizard_at(client, "number")
    response = client.post(NUMBER, {"number": "not a number"})
    assert "Choose a number from the list." in response.content.decode()


def test_it_gives_back_the_numbers_of_wizards_left_for_a_day(client: Client):
    numbers = make_numbers("212")
    idle = wizard_at(client, "terms", number=numbers[0])
    busy = wizard_at(Client(), "terms", device=make_device("PLW20000002"), number=numbers[1])
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        busy.save()  # still in use
        assert abandon_idle_activations() == 1
    assert fresh(idle).status == "abandoned"
    assert fresh(idle).password_hash == ""
    assert status_of(numbers[0]) == (NumberStatus.AVAILABLE, "")
    assert fresh(busy).status == "open"
    assert status_of(numbers[1])[0] == NumberStatus.RESERVED
    # The abandoned wizard's browser starts again.
    assert client.get(TERMS)["Location"] == "/activate/"
