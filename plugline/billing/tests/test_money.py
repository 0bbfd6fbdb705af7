"""Prices written the way each language writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from plugline.core.money import locale_for_language, money_amount, money_format

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("en", 4999, "USD", "$49.99"),
        ("en", 6499, "CAD", "CA$64.99"),
        ("en", 39900, "DKK", "DKK399.00"),
        ("fr", 4999, "USD", f"49,99{NBSP}${NBSP}US"),
        ("fr", 6499, "CAD", f"64,99{NBSP}$"),
        ("da", 4999, "USD", f"49,99{NBSP}USD"),
        ("da", 39900, "DKK", f"399,00{NBSP}kr."),
        ("en", 1999900, "USD", "$19,999.00"),
        ("fr", 1999900, "USD", f"19{NBSP}999,00{NBSP}${NBSP}US"),
        ("da", 1999900, "DKK", f"19.999,00{NBSP}kr."),
        ("en", 5, "USD", "$0.05"),
        ("en", 500, "JPY", "¥500"),
    ],
)
def test_it_writes_minor_units_as_each_language_writes_prices(language, amount, currency, shown):
    assert money_format(amount, currency, language) == shown


def test_it_uses_the_active_language_and_the_template_filter_does_too():
    template = Template("{% load money %}{{ amount|money:currency }}")
    context = Context({"amount": 4999, "currency": "usd"})
    with translation.override("fr"):
        assert money_format(4999, "USD") == f"49,99{NBSP}${NBSP}US"
        assert template.render(context) == f"49,99{NBSP}${NBSP}US"
    with translation.override("en"):
        assert template.render(context) == "$49.99"
    assert Template("{% load money %}{{ none|money:'USD' }}").render(Context({})) == ""


def test_it_maps_django_language_codes_to_locales():
    assert locale_for_language("en") == "en_US"
    assert locale_for_language("fr") == "fr_CA"
    assert locale_for_language("da") == "da_DK"
    assert locale_for_language("fr-fr") == "fr_FR"
    assert locale_for_language("en-gb") == "en_GB"
    assert locale_for_language("") == "en_US"
    assert money_format(4999, "USD", "xx-yy") == "$49.99"


def test_it_keeps_amounts_exact():
    assert str(money_amount(4999, "USD")) == "49.99"
    assert str(money_amount(1, "DKK")) == "0.01"
    assert str(money_amount(500, "JPY")) == "500"


def test_it_writes_a_price_written_before_without_working_it_out_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from plugline.core import money

    money._money_format.cache_clear()
    asked: list[str] = []
    real = money.format_currency

    def counted(value: Decimal, currency: str, locale: str) -> str:
        asked.append(locale)
        return real(value, currency, locale=locale)

    monkeypatch.setattr(money, "format_currency", counted)
    written = [money_format(123457, "USD", language) for language in ("fr", "da", "fr", "da")]
    assert written == [f"1{NBSP}234,57{NBSP}${NBSP}US", f"1.234,57{NBSP}USD"] * 2
    # A batch of renewals writes the same few prices in every receipt and notice.
    assert asked == ["fr_CA", "da_DK"]
