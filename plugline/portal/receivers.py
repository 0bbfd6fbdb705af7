"""What "My account" shows changes with these models: their saves and deletes end the
cached pages of the accounts concerned (plugline.core.account_pages).

The user's own saves are in plugline.accounts.signals (the signed-in user is kept in
the same cache). Writes that bypass the models' signals (`queryset.update()`, bulk statements)
call `account_pages_changed` themselves, in their services.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from plugline.billing.models import Payment, PaymentMethod, Plan, PlanPrice, Subscription
from plugline.core.account_pages import account_pages_changed, catalogue_changed
from plugline.devices.models import Device


@receiver(post_init, sender=Device, dispatch_uid="account_pages_device_loaded")
def _device_loaded(sender: type[Device], instance: Device, **kwargs: Any) -> None:
    # The owner it was loaded with (not read if deferred): a device that changes hands
    # changes the pages of both accounts.
    instance._account_pages_owner_id = instance.__dict__.get("owner_id")  # type: ignore[attr-defined]


@receiver(post_save, sender=Device, dispatch_uid="account_pages_device_saved")
@receiver(post_delete, sender=Device, dispatch_uid="account_pages_device_deleted")
def _device_changed(sender: type[Device], instance: Device, **kwargs: Any) -> None:
    previous = getattr(instance, "_account_pages_owner_id", None)
    account_pages_changed(user_ids=[previous, instance.owner_id])
    instance._account_pages_owner_id = instance.owner_id  # type: ignore[attr-defined]


@receiver(post_save, sender=Subscription, dispatch_uid="account_pages_subscription_saved")
@receiver(post_delete, sender=Subscription, dispatch_uid="account_pages_subscription_deleted")
def _subscription_changed(
    sender: type[Subscription], instance: Subscription, **kwargs: Any
) -> None:
    if Subscription.device.is_cached(instance):
        owners = [instance.device.owner_id]
    else:
        owners = list(
            Device.objects.filter(pk=instance.device_id).values_list("owner_id", flat=True)
        )
    account_pages_changed(user_ids=owners)


@receiver(post_save, sender=PaymentMethod, dispatch_uid="account_pages_card_saved")
@receiver(post_delete, sender=PaymentMethod, dispatch_uid="account_pages_card_deleted")
@receiver(post_save, sender=Payment, dispatch_uid="account_pages_payment_saved")
@receiver(post_delete, sender=Payment, dispatch_uid="account_pages_payment_deleted")
def _billing_changed(sender: type[Any], instance: Payment | PaymentMethod, **kwargs: Any) -> None:
    account_pages_changed(user_ids=[instance.user_id])


@receiver(post_save, sender=Plan, dispatch_uid="account_pages_plan_saved")
@receiver(post_delete, sender=Plan, dispatch_uid="account_pages_plan_deleted")
@receiver(post_save, sender=PlanPrice, dispatch_uid="account_pages_price_saved")
@receiver(post_delete, sender=PlanPrice, dispatch_uid="account_pages_price_deleted")
def _catalogue_changed(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    catalogue_changed()
