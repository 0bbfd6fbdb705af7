"""The sandbox PSP's dashboard: its configuration, and its records read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from plugline.sandbox_gateway.models import (
    SandboxCard,
    SandboxCharge,
    SandboxConfig,
    SandboxCustomer,
    SandboxEvent,
    SandboxRefund,
)


@admin.register(SandboxConfig)
class SandboxConfigAdmin(admin.ModelAdmin):
    list_display = ["__str__", "webhooks_enabled"]


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
