"""Writes of the activation wizard, steps 2 to 7: each saves one answer; the last completes it.

Nothing here becomes an account or touches the device until the emailed
code proves the email (`activation_complete`): until then the wizard keeps
the answers, with the new account's password already hashed.

The activation code is 8 digits from `secrets`, kept only as a keyed hash
(HMAC with the site's secret key and the wizard's id), never logged or
audited; it works for ACTIVATION_CODE_MINUTES and ACTIVATION_CODE_MAX_FAILURES
wrong tries, after which only a new code works.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from plugline.accounts.models import User
from plugline.accounts.services import PROFILE_FIELDS, user_profile_update
from plugline.core.addresses import ADDRESS_FIELDS, address_normalize
from plugline.core.models import AuditAction
from plugline.core.phones import format_phone_number, normalize_phone_number
from plugline.core.services import audit_record
from plugline.devices.models import (
    Activation,
    ActivationStatus,
    Device,
    DeviceStatus,
    PurchaseChannel,
    TermsAcceptance,
    TransferRequest,
)
from plugline.devices.signals import ActivationRefused, activation_completing, device_activated
from plugline.devices.wizard.state import (
    activation_device_is_free,
    activation_device_is_present,
    activation_number_kept,
    device_sold_online,
)
from plugline.notifications.services import email_send
from plugline.telephony.services import (
    number_assign,
    number_release_reservations,
    number_reserve,
    sip_account_provision,
)

CODE_DIGITS = 8
# What a wizard left alone this long is abandoned: its number goes back.
IDLE_BEFORE_ABANDONED = timedelta(days=1)


# Step 2: where the device was bought.


@transaction.atomic
def activation_purchase_set(*, activation: Activation, channel: str, order_email: str = "") -> None:
    """Record how the device was bought; ValidationError (by code) if that cannot be so.

    Bought online, the email must be the order's (case does not matter):
    code "not_sold_online" if no order shipped this device, "mismatch" if
    the email is another. In a store: any device not sold online (possession,
    proved at step 1, is the proof); code "sold_online" otherwise.
    """
    device = activation.device
    if device is None:
        raise ValueError("the wizard has no device yet")
    if channel == PurchaseChannel.ONLINE:
        order = device.web_order
        if order is None:
            raise ValidationError(
                _(
                    "We have no order from our website for this device. If you bought it "
                    "in a store, choose “In a store”."
                ),
                code="not_sold_online",
            )
        if order_email.strip().lower() != order.email.strip().lower():
            raise ValidationError(
                _(
                    "This email does not match the order for this device. Enter the email "
                    "you gave when you ordered it."
                ),
                code="mismatch",
            )
        activation.order_email_matched_at = timezone.now()
    elif channel == PurchaseChannel.STORE:
        if device_sold_online(device):
            raise ValidationError(
                _(
                    "This device was sold on our website. Choose “On the website” and enter "
                    "the email you gave when you ordered it."
                ),
                code="sold_online",
            )
        activation.order_email_matched_at = None
    else:
        raise ValueError(f"unknown purchase channel {channel!r}")
    activation.purchase_channel = channel
    activation.save(update_fields=["purchase_channel", "order_email_matched_at", "updated_at"])


# Step 3: the account.


def _forget_code(activation: Activation) -> None:
    """A code sent for other answers stops working (it went to another address)."""
    activation.code_hash = ""
    activation.code_sent_at = None
    activation.code_expires_at = None
    activation.code_failures = 0


@transaction.atomic
def activation_account_set_new(
    *,
    activation: Activation,
    first_name: str,
    last_name: str,
    email: str,
    password: str | None,
) -> None:
    """The account to create once the code proves the email.

    The password is hashed here and only its hash is kept; None keeps the
    password chosen before. Whether the email is already someone's is not
    told here (see `activation_code_send`).
    """
    if activation.user_id is not None:
        raise ValueError("this wizard adds the device to an existing account")
    email = User.objects.normalize_email(email.strip()).lower()
    if password is None and not activation.password_hash:
        raise ValueError("a new account needs a password")
    if email != activation.email:
        _forget_code(activation)
    activation.first_name = " ".join(first_name.split())
    activation.last_name = " ".join(last_name.split())
    activation.email = email
    if password is not None:
        activation.password_hash = make_password(password)
    activation.save()


@transaction.atomic
def activation_account_use_existing(*, activation: Activation, user: User) -> None:
    """Add the device to `user`'s account (signed in): the new account's answers go."""
    if activation.user_id not in (None, user.pk):
        raise ValueError("this wizard belongs to another account")
    if activation.user_id != user.pk:
        _forget_code(activation)
    activation.user = user
    activation.first_name = activation.last_name = activation.email = ""
    activation.password_hash = ""
    activation.save()


# Step 4: contact and E911 addresses.


@transaction.atomic
def activation_addresses_set(
    *,
    activation: Activation,
    contact_address: Mapping[str, object],
    e911_address: Mapping[str, object],
) -> None:
    """Both addresses, checked for their country (ValidationError by field otherwise)."""
    activation.contact_address = address_normalize(contact_address, required=True)
    activation.e911_address = address_normalize(e911_address, required=True)
    activation.save(update_fields=["contact_address", "e911_address", "updated_at"])


# Step 5: the phone number.


@transaction.atomic
def activation_number_choose(*, activation: Activation, e164: str) -> bool:
    """Hold `e164` for this wizard; False if someone else has it (the choice stays as it was)."""
    if normalize_phone_number(e164) != e164:
        return False
    if not number_reserve(e164=e164, holder=activation.holder):
        return False
    activation.phone_number = e164
    activation.save(update_fields=["phone_number", "updated_at"])
    return True


# Step 6: the terms of service.


@transaction.atomic
def activation_terms_accept(*, activation: Activation, version: str) -> None:
    activation.terms_version = version
    activation.terms_accepted_at = timezone.now()
    activation.save(update_fields=["terms_version", "terms_accepted_at", "updated_at"])


# Step 7: the activation code, and completion.


def code_hash(*, activation: Activation, code: str) -> str:
    return salted_hmac(
        "plugline.devices.activation_code", f"{activation.pk}:{code}", algorithm="sha256"
    ).hexdigest()


def code_normalize(text: str) -> str:
    """The code as typed, with the spaces or dashes people add (or copy) left out."""
    return "".join(ch for ch in text if ch.isdigit())


def activation_code_recipient(activation: Activation) -> str:
    """Where the code goes: the new account's email, or the account's preferred email."""
    if activation.user is not None:
        return activation.user.email
    return activation.email


def _account_with_email(email: str) -> User | None:
    """The account that signs in with `email` (its preferred or any verified email)."""
    verified = EmailAddress.objects.filter(email__iexact=email, verified=True).values("user_id")
    return User.objects.filter(Q(email__iexact=email) | Q(pk__in=verified)).first()


@transaction.atomic
def activation_code_send(*, activation: Activation, language: str) -> str:
    """Email a new activation code (the one before stops working); the address it went to.

    A new account whose email is already someone's gets no code: that email
    says so instead and tells them to sign in, so the page, which reads the
    same either way, does not tell a stranger whose email has an account.
    The number's hold is renewed, so it outlasts the code.
    """
    activation = (
        Activation.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=activation.pk)
    )
    if activation.status != ActivationStatus.OPEN:
        raise ValueError("the wizard is not open")
    to = activation_code_recipient(activation)
    if not to:
        raise ValueError("the wizard has no account yet")
    now = timezone.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    activation.code_hash = code_hash(activation=activation, code=code)
    activation.code_sent_at = now
    activation.code_expires_at = now + timedelta(minutes=settings.ACTIVATION_CODE_MINUTES)
    activation.code_failures = 0
    activation.save(
        update_fields=[
            "code_hash",
            "code_sent_at",
            "code_expires_at",
            "code_failures",
            "updated_at",
        ]
    )
    if activation.phone_number:
        number_reserve(e164=activation.phone_number, holder=activation.holder)
    user = activation.user
    holder = _account_with_email(to) if user is None else None
    if holder is not None:
        email_send(
            template="devices/email/activation_account_exists",
            to=to,
            context={
                "name": holder.get_short_name(),
                "email": to,
                "sign_in_url": f"{settings.SITE_URL}{reverse('account_login')}",
            },
            language=holder.language,
            user=holder,
        )
        return to
    email_send(
        template="devices/email/activation_code",
        to=to,
        context={
            "name": user.get_short_name() if user is not None else activation.first_name,
            "code": f"{code[:4]} {code[4:]}",
            "minutes": settings.ACTIVATION_CODE_MINUTES,
        },
        language=user.language if user is not None else language,
        user=user,
    )
    return to


class Outcome(enum.Enum):
    ACTIVATED = "activated"
    # The code: none sent, wrong, too many wrong tries, expired.
    NO_CODE = "no_code"
    WRONG_CODE = "wrong_code"
    TOO_MANY_TRIES = "too_many_tries"
    EXPIRED = "expired"
    # Something changed since the earlier steps.
    NUMBER_LOST = "number_lost"
    EMAIL_TAKEN = "email_taken"
    DEVICE_UNAVAILABLE = "device_unavailable"
    NOT_OPEN = "not_open"


@dataclass(frozen=True)
class Completion:
    outcome: Outcome
    user: User | None = None
    device: Device | None = None
    tries_left: int = 0


def _code_outcome(activation: Activation, code: str, now: datetime) -> Outcome | None:
    """Why `code` does not open this wizard, or None if it does."""
    if not activation.code_hash or activation.code_expires_at is None:
        return Outcome.NO_CODE
    if activation.code_failures >= settings.ACTIVATION_CODE_MAX_FAILURES:
        return Outcome.TOO_MANY_TRIES
    if now >= activation.code_expires_at:
        return Outcome.EXPIRED
    expected = activation.code_hash
    if not hmac.compare_digest(
        code_hash(activation=activation, code=code_normalize(code)), expected
    ):
        return Outcome.WRONG_CODE
    return None


@transaction.atomic
def activation_complete(
    *, activation: Activation, code: str, language: str, request: HttpRequest | None = None
) -> Completion:
    """The right code makes the device active on the account, all in one transaction.

    A new account is created first, with the email given as its permanent
    original email (verified: the code proved it) and the password chosen;
    an existing account gets its contact address updated if it changed.
    The number held for the wizard is assigned to the device, which gets
    its owner, E911 address and ACTIVE status; the terms accepted are
    recorded; "Your device is active" is emailed. A wrong code counts
    against the code's tries, and is audited (never the code itself).
    """
    now = timezone.now()
    activation = (
        Activation.objects.select_for_update(of=("self",))
        .select_related("user", "device", "device__model")
        .get(pk=activation.pk)
    )
    if activation.status != ActivationStatus.OPEN:
        return Completion(Outcome.NOT_OPEN)
    refused = _code_outcome(activation, code, now)
    if refused is Outcome.WRONG_CODE:
        activation.code_failures += 1
        activation.save(update_fields=["code_failures", "updated_at"])
        audit_record(
            action=AuditAction.ACTIVATION_CODE_FAILED,
            request=request,
            user=activation.user,
            data={
                "activation": str(activation.pk),
                "failures": activation.code_failures,
            },
        )
        tries_left = max(settings.ACTIVATION_CODE_MAX_FAILURES - activation.code_failures, 0)
        return Completion(Outcome.WRONG_CODE, tries_left=tries_left)
    if refused is not None:
        return Completion(refused)

    device = (
        Device.objects.select_for_update().filter(pk=activation.device_id).first()
        if activation.device_id is not None
        else None
    )
    if device is None:
        return Completion(Outcome.DEVICE_UNAVAILABLE)
    activation.device = device
    if (
        not activation_device_is_present(activation)
        or not activation_device_is_free(activation)
        or device.owner_id is not None
        or device.status == DeviceStatus.RETIRED
    ):
        return Completion(Outcome.DEVICE_UNAVAILABLE)
    if activation.user is None and _account_with_email(activation.email) is not None:
        return Completion(Outcome.EMAIL_TAKEN)
    # The number another device of the account hands over (an upgrade, moved by the app
    # that says so in activation_completing), or the wizard's own.
    kept = activation_number_kept(activation)
    if kept:
        number_release_reservations(holder=activation.holder)
    # Before any other write: if the hold was lost, nothing else has changed.
    elif not activation.phone_number or not number_assign(
        e164=activation.phone_number, holder=activation.holder
    ):
        activation.phone_number = ""
        activation.save(update_fields=["phone_number", "updated_at"])
        return Completion(Outcome.NUMBER_LOST)

    new_account = activation.user is None
    user = _account_for(activation=activation, language=language, request=request)

    device.owner = user
    device.status = DeviceStatus.ACTIVE
    device.phone_number = None if kept else activation.phone_number
    for field in ADDRESS_FIELDS:
        setattr(device, f"e911_{field}", activation.e911_address.get(field, ""))
    device.activated_at = now
    device.save()
    sip_account_provision(
        device_id=device.pk, serial=device.serial, phone_number=device.phone_number
    )
    TermsAcceptance.objects.create(
        user=user,
        device=device,
        version=activation.terms_version,
        accepted_at=activation.terms_accepted_at or now,
    )
    # Apps above may refuse (ActivationRefused undoes all of it) or add to it.
    activation_completing.send(
        sender=Activation, activation=activation, device=device, user=user, request=request
    )
    if kept and device.phone_number != kept:
        # The number was to come from the device this one replaces, and did not.
        raise ActivationRefused(
            str(
                _(
                    "Your other device's line could not move to this one, and nothing changed. "
                    "Try again in a moment, or contact us."
                )
            )
        )
    audit_record(
        action=AuditAction.DEVICE_ACTIVATED,
        request=request,
        user=user,
        data={"serial": device.serial, "new_account": new_account},
    )
    email_send(
        template="devices/email/device_active",
        to=user.email,
        context={
            "name": user.get_short_name(),
            "number": format_phone_number(device.phone_number or ""),
            "serial": device.serial,
            "account_url": f"{settings.SITE_URL}/",
        },
        language=user.language,
        user=user,
    )
    # The wizard is done; what only it needed (the hash of the password
    # and of the code) is wiped.
    activation.user = user
    activation.status = ActivationStatus.COMPLETED
    activation.completed_at = now
    activation.password_hash = ""
    _forget_code(activation)
    activation.save()
    channel = activation.purchase_channel
    transaction.on_commit(
        lambda: device_activated.send(
            sender=Activation, device=device, user=user, purchase_channel=channel
        ),
        robust=True,
    )
    return Completion(Outcome.ACTIVATED, user=user, device=device)


def _account_for(*, activation: Activation, language: str, request: HttpRequest | None) -> User:
    """The wizard's account: the existing one (contact address updated), or a new one."""
    contact = {field: activation.contact_address.get(field, "") for field in ADDRESS_FIELDS}
    if activation.user is not None:
        user = activation.user
        profile = {field: getattr(user, field) for field in PROFILE_FIELDS}
        if any(profile[field] != contact[field] for field in ADDRESS_FIELDS):
            user_profile_update(user=user, profile={**profile, **contact}, request=request)
        return user
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    user = User(
        email=activation.email,
        # The email given at registration stays on the account for good.
        original_email=activation.email,
        password=activation.password_hash,
        first_name=activation.first_name,
        last_name=activation.last_name,
        language=language,
        **contact,
    )
    user.save()
    EmailAddress.objects.create(user=user, email=activation.email, verified=True, primary=True)
    return user


# Housekeeping.


@transaction.atomic
def activations_abandon_idle(*, idle_for: timedelta = IDLE_BEFORE_ABANDONED) -> int:
    """Wizards left alone for `idle_for` are abandoned; their numbers go back. How many."""
    cutoff = timezone.now() - idle_for
    ids = list(
        Activation.objects.select_for_update(skip_locked=True)
        .filter(status=ActivationStatus.OPEN, updated_at__lt=cutoff)
        .values_list("pk", flat=True)[:500]
    )
    if not ids:
        return 0
    abandoned = Activation.objects.filter(pk__in=ids, status=ActivationStatus.OPEN).update(
        status=ActivationStatus.ABANDONED,
        password_hash="",
        code_hash="",
        updated_at=timezone.now(),
    )
    for activation_id in ids:
        number_release_reservations(holder=Activation(pk=activation_id).holder)
    return abandoned


@transaction.atomic
def activations_abandoned_delete(*, older_than: timedelta, limit: int = 1000) -> int:
    """Delete wizards abandoned more than `older_than` ago (at most `limit`); how many.

    Only abandoned ones: a completed wizard is the record of an activation
    (and holds the one trial per device and per card). An abandoned wizard
    that asked an owner to release a used device is kept with its transfer
    request, which staff read as that device's history. Nothing else refers
    to an abandoned wizard: its number went back when it was abandoned.
    """
    cutoff = timezone.now() - older_than
    ids = list(
        Activation.objects.select_for_update(skip_locked=True)
        .filter(status=ActivationStatus.ABANDONED, updated_at__lt=cutoff)
        .filter(~Exists(TransferRequest.objects.filter(activation=OuterRef("pk"))))
        .values_list("pk", flat=True)[:limit]
    )
    deleted, _ = Activation.objects.filter(pk__in=ids, status=ActivationStatus.ABANDONED).delete()
    return deleted
