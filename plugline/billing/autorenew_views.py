"""The Account area's "AutoRenew" page (/account/autorenew/): a switch per device.

AutoRenew needs a card on file (the default card is charged) and a plan that
allows it, with a price in the billing currency; without either, switching it
on is refused with the reason and nothing is saved. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plugline.accounts.models import User
from plugline.billing.autorenew_forms import AutoRenewForm
from plugline.billing.models import PaymentMethod, Plan, Subscription
from plugline.billing.selectors import card_default_for_user, service_summary
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.devices.models import Device


def eligible_plans() -> QuerySet[Plan]:
    """Plans AutoRenew may renew with: active, allowed, priced in the billing currency."""
    return Plan.objects.filter(
        active=True, autorenew_allowed=True, prices__currency=settings.BILLING_CURRENCY
    ).order_by("months", "code")


@dataclass
class DeviceRow:
    device: Device
    subscription: Subscription | None
    form: AutoRenewForm

    @property
    def name(self) -> str:
        return self.device.nickname or self.device.phone_number_display or self.device.serial

    @property
    def summary(self) -> object:
        return service_summary(self.subscription)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _devices(user: User) -> QuerySet[Device]:
    return Device.objects.filter(owner=user).order_by("pk")


def _form(
    device: Device,
    subscription: Subscription | None,
    card: PaymentMethod | None,
    plans: list[Plan],
    data: object = None,
) -> AutoRenewForm:
    initial_plan = None
    if subscription is not None:
        initial_plan = subscription.autorenew_plan_id or subscription.plan_id
    if initial_plan is None or initial_plan not in {plan.pk for plan in plans}:
        initial_plan = plans[0].pk if plans else None
    return AutoRenewForm(
        data,
        plans=plans,
        has_card=card is not None,
        prefix=f"device-{device.pk}",
        initial={
            "enabled": bool(subscription and subscription.autorenew),
            "plan": initial_plan,
        },
    )


def _page(
    request: HttpRequest, *, refused: tuple[int, AutoRenewForm] | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    card = card_default_for_user(user=user)
    plans = list(eligible_plans())
    devices = list(_devices(user))
    subscriptions = {s.device_id: s for s in Subscription.objects.filter(device__in=devices)}
    rows = []
    for device in devices:
        subscription = subscriptions.get(device.pk)
        form = (
            refused[1]
            if refused is not None and refused[0] == device.pk
            else _form(device, subscription, card, plans)
        )
        rows.append(DeviceRow(device=device, subscription=subscription, form=form))
    return render(
        request,
        "billing/autorenew.html",
        {"rows": rows, "card": card, "has_plans": bool(plans)},
        status=status,
    )


@login_required
@never_cache
def autorenew_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def autorenew_change(request: HttpRequest, device_id: int) -> HttpResponse:
    user = _user(request)
    device = _devices(user).filter(pk=device_id).first()
    if device is None:
        raise Http404("No such device on this account")
    card = card_default_for_user(user=user)
    subscription = Subscription.objects.filter(device=device).first()
    form = _form(device, subscription, card, list(eligible_plans()), request.POST)
    if (
        form.is_valid()
        and form.cleaned_data["enabled"]
        and (subscription is None or subscription.ends_at is None)
    ):
        form.add_error(
            "enabled", gettext("This device has no service to renew yet. Renew it online first.")
        )
    if not form.is_valid():
        return _page(request, refused=(device.pk, form), status=400)
    enabled: bool = form.cleaned_data["enabled"]
    plan: Plan | None = form.cleaned_data.get("plan") if enabled else None
    if subscription is None:
        # Off, and nothing to turn off.
        return redirect("autorenew:page")
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        before = (locked.autorenew, locked.autorenew_plan_id)
        locked.autorenew = enabled
        if plan is not None:
            locked.autorenew_plan = plan
        locked.save(update_fields=["autorenew", "autorenew_plan", "updated_at"])
        if before != (locked.autorenew, locked.autorenew_plan_id):
            audit_record(
                action=AuditAction.AUTORENEW_CHANGED,
                request=request,
                user=user,
                data={
                    "serial": device.serial,
                    "autorenew": enabled,
                    "plan": plan.code if plan is not None else "",
                },
            )
    name = device.nickname or device.phone_number_display or device.serial
    if enabled:
        messages.success(request, gettext("AutoRenew is on for %(device)s.") % {"device": name})
    else:
        messages.success(request, gettext("AutoRenew is off for %(device)s.") % {"device": name})
    return redirect("autorenew:page")
