"""Closing an account that bought international minutes: the account goes; its ledger, like
its payments, is kept unlinked from the person."""

from __future__ import annotations

import pytest

from conftest import Subscriber
from plugline.accounts.services import account_close
from plugline.billing.tests.factories import card_on_file, sandbox_reset
from plugline.minutes.low_balance import low_balance_set
from plugline.minutes.models import MinutesEntry, MinutesTopUp
from plugline.minutes.top_ups import minutes_top_up_pay
from plugline.reup.redemption import card_redeem
from plugline.reup.tests.factories import make_activated_minutes_card

pytestmark = pytest.mark.django_db


def test_it_closes_an_account_that_redeemed_a_minutes_card_and_paid_a_top_up(
    alice: Subscriber, settings
) -> None:
    settings.MINUTES_TOP_UP_AMOUNTS = ["1000"]
    sandbox_reset()
    _card, pin = make_activated_minutes_card(amount=500)
    assert card_redeem(user=alice.user, pin_raw=pin, device=alice.devices[0]).minutes
    minutes_top_up_pay(
        user=alice.user,
        amount=1000,
        payment_method=card_on_file(alice.user),
        idempotency_key="pay_closing",
        last_seen=0,
    )
    low_balance_set(user=alice.user, enabled=True, threshold=200, amount=1000, monthly_cap=5000)

    account_close(user=alice.user)

    assert sorted(MinutesEntry.objects.values_list("amount", "user")) == [
        (500, None),
        (1000, None),
    ]
    assert MinutesTopUp.objects.get().user is None
