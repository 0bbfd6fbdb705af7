"""Every number a staff member types in the admin is checked: a form error, never a 500.

The test walks the admin's registered models, finds every number field of
each add form (and of its inline forms) and of the change forms, and posts
values that break naive parsing (NaN, infinities, overflowing integers,
hexadecimal, full-width digits, 10,000 digits) into an otherwise valid form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from plugline.accounts.models import User
from plugline.billing.models import Plan, PlanPrice
from plugline.billing.tests.factories import make_plan
from plugline.devices.models import DeviceModel
from plugline.helpcentre.models import Article, ArticleTranslation, Category
from plugline.helpcentre.tests.factories import make_category
from plugline.reup.models import ReupBatch
from plugline.sandbox_gateway.models import SandboxConfig
from plugline.stores.models import Store
from plugline.stores.tests.factories import make_chain
from plugline.upgrades.models import UpgradeOffer

pytestmark = pytest.mark.django_db

NASTY = [
    "sNaN",
    "NaN",
    "-inf",
    "Infinity",
    "1e999999999",
    "99999999999999999999999",
    "-1",
    "\uff11\uff12",  # full-width 12
    " ",
    "0x10",
    "9" * 10_000,
]
NUMBER_FIELDS = (forms.IntegerField, forms.FloatField, forms.DecimalField)


def _plan_form() -> dict[str, str]:
    return {
        "code": "fuzz-plan",
        "name": "Fuzz plan",
        "months": "12",
        "autorenew_allowed": "on",
        "active": "on",
        "prices-TOTAL_FORMS": "1",
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
        "prices-0-currency": "USD",
        "prices-0-amount": "4999",
    }


def _device_model_form() -> dict[str, str]:
    return {
        "code": "fuzz-model",
        "name": "Fuzz model",
        "picture": "devices/plugline-usb.svg",
        "included_months": "12",
        "price": "7999",
    }


def _upgrade_offer_form() -> dict[str, str]:
    from plugline.devices.services import device_model_default

    return {
        "name": "Fuzz offer",
        "model": str(device_model_default().pk),
        "price": "2999",
        "min_age_years": "3",
        "valid_from_0": "2026-03-01",
        "valid_from_1": "00:00:00",
        "valid_until_0": "",
        "valid_until_1": "",
    }


def _reup_batch_form() -> dict[str, str]:
    chain = make_chain("fuzz-chain", "Fuzz chain")
    plan = make_plan("fuzz-reup-plan")
    return {"chain": str(chain.pk), "plan": str(plan.pk), "count": "1", "note": ""}


def _sandbox_config_form() -> dict[str, str]:
    return {
        "latency_ms": "0",
        "timeout_rate": "0",
        "failure_rate": "0",
        "webhook_url": "",
        "webhooks_enabled": "on",
    }


def _store_form() -> dict[str, str]:
    chain = make_chain("fuzz-stores", "Fuzz stores")
    return {
        "chain": str(chain.pk),
        "external_id": "1",
        "name": "Fuzz store",
        "active": "on",
        "address_line1": "1 Main Street",
        "address_line2": "",
        "city": "Montréal",
        "region": "QC",
        "postal_code": "H2X 1Y4",
        "country": "CA",
        "latitude": "45.51",
        "longitude": "-73.57",
        "phone": "",
        "opening_hours": "",
    }


def _help_category_form() -> dict[str, str]:
    return {"slug": "fuzz-help", "name_en": "Fuzz", "name_fr": "", "name_da": "", "position": "0"}


def _help_article_form() -> dict[str, str]:
    category = make_category("fuzz-articles", "Fuzz articles")
    return {
        "category": str(category.pk),
        "slug": "fuzz-article",
        "position": "0",
        "translations-TOTAL_FORMS": "1",
        "translations-INITIAL_FORMS": "0",
        "translations-MIN_NUM_FORMS": "1",
        "translations-MAX_NUM_FORMS": "3",
        "translations-0-language": "en",
        "translations-0-title": "Fuzz",
        "translations-0-body_markdown": "Fuzz text",
    }


# A valid add form for each model whose admin add form has a number field.
VALID_ADD_FORMS: dict[type[models.Model], Callable[[], dict[str, str]]] = {
    Plan: _plan_form,
    DeviceModel: _device_model_form,
    ReupBatch: _reup_batch_form,
    SandboxConfig: _sandbox_config_form,
    Store: _store_form,
    UpgradeOffer: _upgrade_offer_form,
    Category: _help_category_form,
    Article: _help_article_form,
}
# A Re-Up batch is never changed: its page only shows it.
CHANGEABLE = [model for model in VALID_ADD_FORMS if model is not ReupBatch]
# The rows an add form writes, which a refused form must leave as they were.
WRITES: dict[type[models.Model], list[type[models.Model]]] = {
    Plan: [Plan, PlanPrice],
    Article: [Article, ArticleTranslation],
}
# Values that are right for a field (a latitude may be negative).
ACCEPTED: dict[tuple[type[models.Model], str], set[str]] = {
    (Store, "latitude"): {"-1"},
    (Store, "longitude"): {"-1"},
}


def _superuser_request() -> Any:
    request = RequestFactory().get("/admin/")
    request.user = User(is_staff=True, is_superuser=True, is_active=True)
    return request


def _number_fields(model_admin: admin.ModelAdmin, obj: Any) -> list[str]:
    """The names (as posted) of the number fields of the admin's add or change form."""
    request = _superuser_request()
    form = model_admin.get_form(request, obj, change=obj is not None)
    names = [name for name, field in form.base_fields.items() if isinstance(field, NUMBER_FIELDS)]
    for inline in model_admin.get_inline_instances(request, obj):
        formset = inline.get_formset(request, obj)
        prefix = formset.get_default_prefix()
        names += [
            f"{prefix}-0-{name}"
            for name, field in formset.form.base_fields.items()
            if isinstance(field, NUMBER_FIELDS)
        ]
    return names


def _addable_with_numbers() -> dict[type[models.Model], list[str]]:
    request = _superuser_request()
    found = {}
    for model, model_admin in admin.site._registry.items():
        if model_admin.has_add_permission(request):
            names = _number_fields(model_admin, None)
            if names:
                found[model] = names
    return found


def _changeable_with_numbers() -> list[type[models.Model]]:
    request = _superuser_request()
    return [
        model
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_change_permission(request, model())
        and _number_fields(model_admin, model())
    ]


def _admin_url(model: type[models.Model], action: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=args)


def _rows(model: type[models.Model]) -> list[list[dict[str, Any]]]:
    """The rows the model's form writes, as they are."""
    return [
        list(written._default_manager.order_by("pk").values())
        for written in WRITES.get(model, [model])
    ]


def _field_errors(response: Any, name: str) -> list[str]:
    """The errors the page shows for the posted field `name` (inline fields included)."""
    context = response.context
    if "-" in name:
        prefix, index, field = name.split("-")
        for formset in context["inline_admin_formsets"]:
            if formset.formset.prefix == prefix:
                return list(formset.formset.forms[int(index)].errors.get(field, []))
        return []
    return list(context["adminform"].form.errors.get(name, []))


def _as_posted(form: forms.BaseForm) -> dict[str, Any]:
    """What a browser posts for `form` as shown: its values, ticked boxes only, each part of
    a split field (a date and a time) under its own name, each choice of a multiple one."""
    posted: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        widget = bound.field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value) or []
            suffixes: list[str] = getattr(widget, "widgets_names", [])
            for suffix, part in zip(suffixes, parts, strict=True):
                if part is not None:
                    posted[f"{bound.html_name}{suffix}"] = str(part)
        elif isinstance(value, list | tuple):
            posted[bound.html_name] = [str(item) for item in value]
        else:
            posted[bound.html_name] = (
                "on" if value is True else str(bound.field.prepare_value(value))
            )
    return posted


def _fuzz(client: Client, url: str, model: type[models.Model], valid: dict[str, str]) -> list[str]:
    """Post each nasty value in each number field of the form at `url`; what went wrong."""
    obj = model._default_manager.first() if "change" in url else None
    failures = []
    for name in _number_fields(admin.site._registry[model], obj):
        for value in NASTY:
            if value in ACCEPTED.get((model, name), set()):
                continue
            label = f"{model._meta.label} {name}={value[:20]!r}"
            # Each try on its own: what one wrongly saved must not refuse the next.
            with transaction.atomic():
                before = _rows(model)
                response = client.post(url, {**valid, name: value})
                if response.status_code != 200:
                    failures.append(f"{label}: {response.status_code}")
                elif not _field_errors(response, name):
                    failures.append(f"{label}: no error on the field")
                if _rows(model) != before:
                    failures.append(f"{label}: saved")
                transaction.set_rollback(True)
    return failures


def test_it_knows_a_valid_form_for_every_admin_add_form_with_a_number(staff_client: Client):
    assert set(_addable_with_numbers()) == set(VALID_ADD_FORMS)
    assert set(_changeable_with_numbers()) <= set(CHANGEABLE)
    for model, valid in VALID_ADD_FORMS.items():
        response = staff_client.post(_admin_url(model, "add"), valid())
        assert response.status_code == 302, (model, response.content.decode()[-3000:])
        assert model._default_manager.count() == 1


@pytest.mark.parametrize("model", list(VALID_ADD_FORMS), ids=lambda model: model._meta.label)
def test_it_refuses_nasty_numbers_in_every_admin_add_form(
    staff_client: Client, model: type[models.Model]
):
    valid = VALID_ADD_FORMS[model]()
    failures = _fuzz(staff_client, _admin_url(model, "add"), model, valid)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("model", CHANGEABLE, ids=lambda model: model._meta.label)
def test_it_refuses_nasty_numbers_in_every_admin_change_form(
    staff_client: Client, model: type[models.Model]
):
    valid = VALID_ADD_FORMS[model]()
    assert staff_client.post(_admin_url(model, "add"), valid).status_code == 302
    obj = model._default_manager.get()
    url = _admin_url(model, "change", obj.pk)
    page = staff_client.get(url)
    assert page.status_code == 200
    # The form as the page shows it, with the existing inline rows.
    posted = _as_posted(page.context["adminform"].form)
    for formset in page.context["inline_admin_formsets"]:
        posted.update(_as_posted(formset.formset.management_form))
        for inline_form in formset.formset.forms:
            posted.update(_as_posted(inline_form))
    response = staff_client.post(url, posted)
    assert response.status_code == 302, (
        posted,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    failures = _fuzz(staff_client, url, model, posted)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("language", "message"),
    [("fr", "Saisissez un nombre entier."), ("da", "Indtast et heltal.")],
)
def test_it_tells_staff_what_is_wrong_in_their_language(
    staff_client: Client, staff: User, language: str, message: str
):
    staff.language = language
    staff.save(update_fields=["language"])
    response = staff_client.post(
        _admin_url(Plan, "add"), {**_plan_form(), "prices-0-amount": "\uff11\uff12"}
    )
    assert response.status_code == 200
    assert _field_errors(response, "prices-0-amount") == [message]
    assert not Plan.objects.exists()
