import pytest

from plugline.billing.fees import fee_kind, fee_kind_register
from plugline.billing.models import PaymentKind


def test_it_knows_the_change_of_number_as_a_fee_and_plans_as_none():
    assert fee_kind(PaymentKind.NUMBER_CHANGE) is not None
    assert fee_kind(PaymentKind.CHECKOUT) is None
    assert fee_kind(PaymentKind.AUTORENEW) is None


def test_it_refuses_a_second_set_of_handlers_for_a_kind():
    with pytest.raises(ValueError, match="already"):
        fee_kind_register(
            PaymentKind.NUMBER_CHANGE,
            applied=lambda payment: [],
            declined=lambda payment: None,
            invoice_lines=lambda payment, language: [],
        )
