"""Number fields of the staff's admin forms: digits 0-9, as on a keyboard, and nothing else.

Django's number fields take whatever Python's int(), float() and Decimal()
take, which includes other scripts' digits (full-width "12" is 12) and, for decimals
and floats, exponents. Prices, lengths, counts and coordinates are typed
with ASCII digits, an optional sign and decimal point; anything else gets
the field's own "Enter a number" message (translated by Django) instead of
being read as some other number. NaN, infinities and values beyond the
column's range are refused by Django's fields and the models' validators.

Admins use `StaffNumbersAdmin` (or `StaffNumbersInline`); a form field
declared by hand uses the fields below.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

INTEGER = re.compile(r"[+-]?[0-9]+")
REAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _check_digits(field: forms.Field, value: Any, pattern: re.Pattern[str]) -> None:
    if isinstance(value, str) and value.strip() and not pattern.fullmatch(value.strip()):
        raise ValidationError(field.error_messages["invalid"], code="invalid")


class StaffIntegerField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        _check_digits(self, value, INTEGER)
        return super().to_python(value)


class StaffFloatField(forms.FloatField):
    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        _check_digits(self, value, REAL)
        return super().to_python(value)


class StaffDecimalField(forms.DecimalField):
    def to_python(self, value: Any) -> Any:
        _check_digits(self, value, REAL)
        return super().to_python(value)


STAFF_NUMBER_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.IntegerField: {"form_class": StaffIntegerField},
    models.FloatField: {"form_class": StaffFloatField},
    models.DecimalField: {"form_class": StaffDecimalField},
}


class StaffNumbersAdmin(admin.ModelAdmin):
    """A ModelAdmin whose number fields take ASCII digits only."""

    formfield_overrides = STAFF_NUMBER_FIELDS


class StaffNumbersInline(admin.TabularInline):
    """A tabular inline whose number fields take ASCII digits only."""

    formfield_overrides = STAFF_NUMBER_FIELDS
