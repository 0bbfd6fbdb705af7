"""The sandbox PSP's dashboard: its configuration, and its records read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import Field
from django.http import HttpRequest

from plugline.core.admin_numbers import StaffNumbersAdmin
from plugline.sandbox_gateway.models import (
    SandboxCard,
    SandboxCharge,
    SandboxConfig,
    SandboxCustomer,
    SandboxEvent,
    SandboxRefund,
)

# Shares of calls, as the table's check constraints allow them.
RATE_FIELDS = ("timeout_rate", "failure_rate")


@admin.register(SandboxConfig)
class SandboxConfigAdmin(StaffNumbersAdmin):
    list_display = ["__str__", "webhooks_enabled"]

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Field | None:
        if db_field.name in RATE_FIELDS:
            kwargs.update(min_value=0, max_value=1)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row (pk 1): once it exists, it is changed, not added again.
        return not SandboxConfig.objects.exists() and super().has_add_permission(request)

    def save_model(self, request: HttpRequest, obj: SandboxConfig, form: Any, change: bool) -> None:
        obj.pk = 1
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SandboxCustomer)
class SandboxCustomerAdmin(ReadOnlyAdmin):
    list_display = ["id", "email", "created_at"]
    search_fields = ["id", "email"]


@admin.register(SandboxCard)
class SandboxCardAdmin(ReadOnlyAdmin):
    list_display = ["token", "customer", "brand", "last4", "exp_month", "exp_year", "behaviour"]
    search_fields = ["token", "customer__id", "last4"]


@admin.register(SandboxCharge)
class SandboxChargeAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "amount", "currency", "status", "decline_code", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "idempotency_key", "customer__id"]


@admin.register(SandboxRefund)
class SandboxRefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "charge", "amount", "succeeded", "created_at"]


@admin.register(SandboxEvent)
class SandboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "created_at", "delivered_at", "attempts", "last_response"]
    list_filter = ["type"]
