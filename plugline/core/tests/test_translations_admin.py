"""The staff's pages (Django admin) in French and Danish: every label of Plugline's models
(app names, model names, field names and help texts, columns, actions) is marked for
translation and translated in both catalogs, and the pages show no English label."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from conftest import make_subscriber, sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.billing.tests.factories import make_paid_item, plan_make, subscription_make
from plugline.notifications.services import email_send

ROOT = Path(__file__).resolve().parents[2]


def _catalog(language: str) -> dict[str, str]:
    """Every msgid of Plugline's catalogs in `language`, with its translation."""
    messages: dict[str, str] = {}
    for path in ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(path)):
            if entry.msgstr and "fuzzy" not in entry.flags:
                messages[entry.msgid] = entry.msgstr
    return messages


def _admin_labels() -> dict[str, object]:
    """Where each label of the admin comes from, and the label itself."""
    labels: dict[str, object] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("plugline."):
            continue
        labels[f"app {config.label}"] = config.verbose_name
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("plugline."):
            continue
        name = model._meta.label
        labels[f"{name} verbose_name"] = model._meta.verbose_name
        labels[f"{name} verbose_name_plural"] = model._meta.verbose_name_plural
        inlines = [inline.model for inline in model_admin.inlines]
        for shown in [model, *inlines]:
            for field in shown._meta.get_fields():
                if not isinstance(field, models.Field) or field.auto_created:
                    continue
                labels[f"{shown._meta.label}.{field.name}"] = field.verbose_name
                if field.help_text:
                    labels[f"{shown._meta.label}.{field.name} help_text"] = field.help_text
        for action in model_admin.actions or ():
            function = getattr(model_admin, action, None) if isinstance(action, str) else action
            labels[f"{name} action {action}"] = getattr(function, "short_description", "")
        for column in model_admin.list_display:
            if column == "__str__":  # the model's verbose_name, above
                continue
            labels[f"{name} column {column}"] = label_for_field(column, model, model_admin)
    return labels


def test_it_marks_every_admin_label_for_translation():
    unmarked = {
        where: label for where, label in _admin_labels().items() if not isinstance(label, Promise)
    }
    assert unmarked == {}


@pytest.mark.parametrize("language", ["fr", "da"])
def test_it_translates_every_admin_label(language: str):
    catalog = _catalog(language)
    with translation.override(language):
        # Plugline's catalogs, or Django's own for the fields Django defines (User's).
        missing = {
            where: _msgid(label)
            for where, label in _admin_labels().items()
            if isinstance(label, Promise)
            and _msgid(label) not in catalog
            and str(label) == _msgid(label)
        }
    assert missing == {}


def _msgid(label: Promise) -> str:
    """The English of a lazy translation: gettext_lazy's message, pgettext_lazy's last."""
    return str(label._args[-1])  # type: ignore[attr-defined]


# Column headers of the lists below, in English.
ENGLISH_COLUMNS = ["Created at", "Attempts", "Kind", "Actor", "IP address"]
ADMIN_LISTS = [
    "admin:notifications_outboxmessage_changelist",
    "admin:billing_payment_changelist",
    "admin:devices_device_changelist",
    "admin:core_auditevent_changelist",
]


def _column_headers(client: Client) -> set[str]:
    headers: set[str] = set()
    for name in ADMIN_LISTS:
        page = client.get(reverse(name)).content.decode()
        for header in re.findall(r'<th scope="col".*?</th>', page, re.S):
            text = " ".join(re.sub(r"<[^>]+>", " ", header).split())
            if text:
                headers.add(text)
    return headers


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_it_shows_the_admin_lists_without_english_column_headers(
    client: Client, language: str
) -> None:
    staff = User.objects.create_user(
        "staff@example.com", "x", is_staff=True, is_superuser=True, language=language
    )
    sign_in_with_two_factor(client, staff)
    # A row in each list (an empty list has no column headers).
    subscriber = make_subscriber()
    plan = plan_make()
    make_paid_item(
        user=subscriber.user, subscription=subscription_make(subscriber.devices[0]), plan=plan
    )
    email_send(
        template="accounts/email/account_closed",
        to=subscriber.email,
        context={"name": "Alice"},
        language="en",
        user=subscriber.user,
    )
    headers = _column_headers(client)
    if language == "en":
        assert set(ENGLISH_COLUMNS) <= headers, headers
    else:
        assert set(ENGLISH_COLUMNS) & headers == set()
