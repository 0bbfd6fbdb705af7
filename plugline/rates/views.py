""" "Calling rates": what a minute to a country, or to one number, costs.

Public (no sign-in). Search by a country's name in the reader's language
(or in English), or by a number in any common format; the rates show the
destination in the reader's language, prices as money the way the reader's
language writes it, and how calls are billed in words. Calls to the US and
Canada (+1) are free, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from plugline.rates.countries import countries_find, country_name
from plugline.rates.forms import RateSearchForm
from plugline.rates.lookup import FREE_COUNTRY_CODE, number_is_free, rate_for_number
from plugline.rates.models import Rate
from plugline.rates.pricing import connection_fee_text, increments_text, price_per_minute_text
from plugline.rates.selectors import rates_current_for_countries


@dataclass(frozen=True)
class RateRow:
    """One destination as the page shows it."""

    destination: str
    prefix: str
    price: str
    fee: str
    increments: str


@dataclass
class CountryRates:
    name: str
    free: bool
    rows: list[RateRow]


def _row(rate: Rate) -> RateRow:
    return RateRow(
        destination=rate.display_name(),
        prefix=f"+{rate.prefix}",
        price=price_per_minute_text(rate),
        fee=connection_fee_text(rate),
        increments=increments_text(rate),
    )


@require_safe
def find(request: HttpRequest) -> HttpResponse:
    searched = "q" in request.GET
    form = RateSearchForm(request.GET if searched else None)
    context: dict[str, object] = {"form": form, "searched": False}
    if not searched:
        return render(request, "rates/find.html", context)
    if not form.is_valid():
        return render(request, "rates/find.html", context, status=400)

    query = form.cleaned_data["q"]
    number = form.cleaned_data["number"]
    if number is not None:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        region = phonenumbers.region_code_for_number(number) or ""
        context.update(
            searched=True,
            kind="number",
            number=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
            country=country_name(region),
            free=number_is_free(e164),
        )
        if not context["free"]:
            rate = rate_for_number(e164)
            context["row"] = _row(rate) if rate is not None else None
        return render(request, "rates/find.html", context)

    countries = countries_find(query)
    if not countries:
        form.add_error(
            "q",
            _(
                "We found no country called “%(query)s”. Check the spelling, or type a "
                "phone number with its country code."
            )
            % {"query": query},
        )
        return render(request, "rates/find.html", context)
    free = {
        region
        for region in countries
        if str(phonenumbers.country_code_for_region(region)) == FREE_COUNTRY_CODE
    }
    rates, more = rates_current_for_countries([c for c in countries if c not in free])
    by_country: dict[str, list[RateRow]] = {}
    for rate in rates:
        by_country.setdefault(rate.country, []).append(_row(rate))
    results = [
        CountryRates(
            name=country_name(region), free=region in free, rows=by_country.get(region, [])
        )
        for region in countries
    ]
    context.update(
        searched=True,
        kind="country",
        # A country without rates shows only when nothing else does.
        results=[result for result in results if result.free or result.rows],
        without_rates=[result.name for result in results][:3],
        more=more,
    )
    return render(request, "rates/find.html", context)
