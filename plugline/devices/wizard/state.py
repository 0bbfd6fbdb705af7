"""What every step of the activation wizard shares.

A browser's wizard is the Activation whose id is in its session; it is saved
after every step, so a customer can leave and come back (in the same
browser) where they stopped. The wizard (and the session) are made by the
first answer posted to step 1, never by looking at a page: crawlers and
visitors who only look leave no row behind. The steps are done in order: a step's page
sends the customer back to the first step not done yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from plugline.devices.models import (
    Activation,
    ActivationStatus,
    Device,
    DeviceStatus,
    PurchaseChannel,
)
from plugline.telephony.models import NumberStatus, PhoneNumber

SESSION_KEY = "plugline_activation"
# Step 1's address for a free trial ("Start Trial" before any wizard exists):
# the query string carries the choice until step 1's first answer makes the wizard.
TRIAL_PARAMETER = "trial"
# How long a proof of presence lasts: long enough to fill in the wizard.
PRESENCE_MINUTES = 60

# The wizard's steps, in order; each is the name of its URL in the devices
# namespace ("devices:activate_<step>").
STEPS = ("detect", "purchase", "account", "addresses", "number", "terms", "code")


def activation_for_request(request: HttpRequest) -> Activation | None:
    """This browser's open wizard, if it has one."""
    activation_id = request.session.get(SESSION_KEY)
    if not activation_id:
        return None
    activation = (
        Activation.objects.select_related("device", "device__model", "user")
        .filter(pk=activation_id, status=ActivationStatus.OPEN)
        .first()
    )
    if activation is None:
        request.session.pop(SESSION_KEY, None)
        return None
    # A wizard begun by someone signed in stays theirs.
    if activation.user_id and activation.user_id != request.user.pk:
        return None
    return activation


def activation_trial_requested(request: HttpRequest) -> bool:
    """Whether step 1 was reached from "Start Trial" (`?trial=1`)."""
    return request.GET.get(TRIAL_PARAMETER) == "1"


@transaction.atomic
def activation_start(request: HttpRequest, *, trial: bool = False) -> Activation:
    """This browser's open wizard, or a new one (a free trial's if `trial`).

    Only for a POST: a wizard is made by the customer's first answer.
    """
    activation = activation_for_request(request)
    if activation is not None:
        return activation
    activation = Activation.objects.create(
        user=request.user if request.user.is_authenticated else None, trial=trial
    )
    request.session[SESSION_KEY] = str(activation.pk)
    return activation


def activation_forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


@transaction.atomic
def activation_mark_present(*, activation: Activation, device: Device) -> None:
    """The device proved it is here (signature, or serial and label code).

    Choosing another device starts the later steps that depend on it again
    (how it was bought, the order's email).
    """
    if activation.device_id != device.pk:
        activation.device = device
        activation.purchase_channel = ""
        activation.order_email_matched_at = None
    activation.present_until = timezone.now() + timedelta(minutes=PRESENCE_MINUTES)
    activation.save(
        update_fields=[
            "device",
            "present_until",
            "purchase_channel",
            "order_email_matched_at",
            "updated_at",
        ]
    )


def activation_device_is_present(activation: Activation) -> bool:
    return (
        activation.device_id is not None
        and activation.present_until is not None
        and activation.present_until > timezone.now()
    )


def activation_device_is_free(activation: Activation) -> bool:
    """Whether the device can go to this wizard's account: not on someone else's account."""
    device = activation.device
    if device is None:
        return False
    if device.status == DeviceStatus.RETIRED:
        return False
    return device.owner_id is None or device.owner_id == activation.user_id


def device_sold_online(device: Device) -> bool:
    """Whether the device went to a web order's buyer and nobody has had it since.

    Such a device is registered only with the order's email. Once released
    by an owner, the order no longer says who may have it: the release does.
    """
    return device.web_order_id is not None and device.status in (
        DeviceStatus.SOLD_ONLINE,
        DeviceStatus.IN_STOCK,
    )


# Apps above say which number a device takes over from another device of the account
# (a device upgrade): its wizard then has no number to choose.
KeptNumberLookup = Callable[[Activation], str | None]
_kept_number_lookups: list[KeptNumberLookup] = []


def register_kept_number_lookup(lookup: KeptNumberLookup) -> None:
    """Let an app above say that the wizard's device takes over a number (E.164) of the
    wizard's account (another device's), which the app moves in `activation_completing`."""
    if lookup not in _kept_number_lookups:
        _kept_number_lookups.append(lookup)


def activation_number_kept(activation: Activation) -> str:
    """The number the wizard's device takes over from another device of its account, or ""."""
    if activation.user_id is None or activation.device_id is None:
        return ""
    for lookup in _kept_number_lookups:
        number = lookup(activation)
        if number:
            return number
    return ""


def activation_number_held_until(activation: Activation) -> datetime | None:
    """Until when the wizard's number is held for it; None if it is not (any more).

    A hold that lapsed still counts while nobody else has taken the number
    (see telephony.services.number_assign): then the time is in the past.
    """
    if not activation.phone_number:
        return None
    return (
        PhoneNumber.objects.filter(
            e164=activation.phone_number,
            status=NumberStatus.RESERVED,
            reserved_for=activation.holder,
        )
        .values_list("reserved_until", flat=True)
        .first()
    )


def activation_step_done(activation: Activation, step: str) -> bool:
    """Whether `step` is done for this wizard."""
    if step == "detect":
        return activation_device_is_present(activation) and activation_device_is_free(activation)
    if step == "purchase":
        if activation.trial:
            # A free trial signs up (plan and card, billing.trials) instead.
            return bool(activation.trial_signup.get("plan") and activation.trial_card_fingerprint)
        # Bought online: the order's email must have matched; in a store:
        # only a device not sold online.
        if activation.purchase_channel == PurchaseChannel.STORE:
            return activation.device is not None and not device_sold_online(activation.device)
        return (
            activation.purchase_channel == PurchaseChannel.ONLINE
            and activation.order_email_matched_at is not None
        )
    if step == "account":
        return activation.user_id is not None or bool(activation.email and activation.password_hash)
    if step == "addresses":
        return bool(activation.e911_address) and bool(activation.contact_address)
    if step == "number":
        # Still held: a number someone else took meanwhile must be chosen again. A device
        # that takes over another device's number has none to choose.
        return (
            activation_number_held_until(activation) is not None
            or activation_number_kept(activation) != ""
        )
    if step == "terms":
        return activation.terms_accepted_at is not None
    if step == "code":
        return activation.status == ActivationStatus.COMPLETED
    raise ValueError(f"unknown step {step!r}")


def activation_current_step(activation: Activation | None) -> str:
    """The first step not done yet."""
    if activation is None:
        return STEPS[0]
    for step in STEPS:
        if not activation_step_done(activation, step):
            return step
    return STEPS[-1]
