"""Writes of telephony: the number inventory and the devices' SIP accounts.

Every change of a number's status is a conditional update, so that two
customers racing for one number cannot both get it. SIP accounts hold only
digest hashes (see plugline.telephony.sip).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.telephony.blocking import MAX_BLOCKED_PER_DEVICE, BlockedEntry, blocked_entry_parse
from plugline.telephony.forwarding import CallSettingsChoice
from plugline.telephony.lines import sip_aor, sip_registrations_end_on_commit
from plugline.telephony.models import (
    BlockedCaller,
    CallScreening,
    CallSettings,
    NumberStatus,
    PhoneNumber,
    SipAccount,
)
from plugline.telephony.sip import digest_ha1, digest_ha1b, sip_password, sip_username


def _free_now() -> Q:
    """Numbers that can be given out now: available, or held by a lapsed reservation,
    or out of a quarantine that has ended."""
    now = timezone.now()
    return (
        Q(status=NumberStatus.AVAILABLE)
        | Q(status=NumberStatus.RESERVED, reserved_until__lt=now)
        | Q(status=NumberStatus.QUARANTINED, quarantined_until__lt=now)
    )


@transaction.atomic
def number_reserve(*, e164: str, holder: str, minutes: int | None = None) -> bool:
    """Hold a free number for `holder` (e.g. an activation wizard); False if someone else has it.

    A holder keeps at most one reservation: the one it held before is released.
    Reserving again the number one already holds extends the hold.
    """
    minutes = settings.NUMBER_RESERVATION_MINUTES if minutes is None else minutes
    until = timezone.now() + timedelta(minutes=minutes)
    won = PhoneNumber.objects.filter(
        _free_now() | Q(status=NumberStatus.RESERVED, reserved_for=holder), e164=e164
    ).update(
        status=NumberStatus.RESERVED,
        reserved_for=holder,
        reserved_until=until,
        quarantined_until=None,
        updated_at=timezone.now(),
    )
    if won:
        number_release_reservations(holder=holder, keep=e164)
    return bool(won)


def number_release_reservations(*, holder: str, keep: str = "") -> int:
    """Let go of what `holder` reserved (except `keep`); the count released."""
    return (
        PhoneNumber.objects.filter(status=NumberStatus.RESERVED, reserved_for=holder)
        .exclude(e164=keep)
        .update(
            status=NumberStatus.AVAILABLE,
            reserved_for="",
            reserved_until=None,
            updated_at=timezone.now(),
        )
    )


@transaction.atomic
def number_assign(*, e164: str, holder: str) -> bool:
    """Turn `holder`'s reservation into an assignment; False if the hold was lost.

    A lapsed hold still counts if nobody took the number since.
    """
    return bool(
        PhoneNumber.objects.filter(
            e164=e164, status=NumberStatus.RESERVED, reserved_for=holder
        ).update(
            status=NumberStatus.ASSIGNED,
            reserved_for="",
            reserved_until=None,
            updated_at=timezone.now(),
        )
    )


def number_quarantine(*, e164: str, days: int | None = None) -> None:
    """A number a subscriber left: it rests before anyone else can have it.

    Numbers that are not in the inventory (imported before it existed) are
    left alone.
    """
    days = settings.NUMBER_QUARANTINE_DAYS if days is None else days
    PhoneNumber.objects.filter(e164=e164).update(
        status=NumberStatus.QUARANTINED,
        reserved_for="",
        reserved_until=None,
        quarantined_until=timezone.now() + timedelta(days=days),
        updated_at=timezone.now(),
    )


def number_mark_assigned(*, e164: str) -> None:
    """Record in the inventory a number that a device already has (kept on release)."""
    PhoneNumber.objects.filter(e164=e164).update(
        status=NumberStatus.ASSIGNED,
        reserved_for="",
        reserved_until=None,
        quarantined_until=None,
        updated_at=timezone.now(),
    )


@transaction.atomic
def sip_account_provision(
    *, device_id: int, serial: str, phone_number: str | None
) -> SipAccount | None:
    """Give the device SIP credentials for its number (idempotent); None if it has no number.

    The user is the number's digits, the domain settings.SIP_DOMAIN; the
    generation is kept, so the device's password does not change. A device
    without a number loses its account. Another (older) account that still
    names this number, left by a device that gave it up, is removed: a
    number is one device's line.
    """
    if not phone_number:
        SipAccount.objects.filter(device_id=device_id).delete()
        return None
    username, domain = sip_username(phone_number), settings.SIP_DOMAIN
    SipAccount.objects.filter(username=username, domain=domain).exclude(
        device_id=device_id
    ).delete()
    account = SipAccount.objects.select_for_update().filter(device_id=device_id).first()
    if account is None:
        account = SipAccount(device_id=device_id)
    _sip_hashes_set(account, serial=serial, username=username, domain=domain)
    account.save()
    return account


def _sip_hashes_set(account: SipAccount, *, serial: str, username: str, domain: str) -> None:
    password = sip_password(serial=serial, generation=account.generation)
    account.username, account.domain = username, domain
    account.ha1 = digest_ha1(username=username, domain=domain, password=password)
    account.ha1b = digest_ha1b(username=username, domain=domain, password=password)


@transaction.atomic
def sip_credentials_rotate(
    *,
    account: SipAccount,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> SipAccount:
    """New SIP credentials for the device: the old password stops working at its next REGISTER,
    and its live registrations are ended once this commits (plugline.telephony.lines).

    Audited (the device and the new generation, never a password or hash).
    """
    account = (
        SipAccount.objects.select_for_update(of=("self",))
        .select_related("device", "device__owner")
        .get(pk=account.pk)
    )
    account.generation += 1
    _sip_hashes_set(
        account, serial=account.device.serial, username=account.username, domain=account.domain
    )
    account.save()
    audit_record(
        action=AuditAction.SIP_CREDENTIALS_ROTATED,
        request=request,
        user=account.device.owner,
        actor=actor,
        data={"serial": account.device.serial, "generation": account.generation},
    )
    sip_registrations_end_on_commit(aors=[sip_aor(account)])
    return account


@transaction.atomic
def sip_line_end_for_new_owner(*, device_id: int, request: HttpRequest | None = None) -> None:
    """The device leaves its owner: new credentials, so that whoever has the device next
    cannot be reached or impersonated with the old password, and its registrations ended.

    Call it while the device is still its owner's (the audit event names them). Its
    calls leave the call history with it: the next owner never sees them.
    """
    from plugline.telephony.callrecords import device_call_history_unlink

    account = SipAccount.objects.filter(device_id=device_id).first()
    if account is not None:
        sip_credentials_rotate(account=account, request=request)
    device_call_history_unlink(device_id=device_id)
    blocked_callers_clear(device_id=device_id)


@transaction.atomic
def sip_accounts_provision_all() -> tuple[int, int]:
    """SIP accounts for every device with a number, none for the others; (kept, removed).

    Safe to run again and again: a device's generation, hence its password,
    is kept. Also writes the view sip_subscriber again (the grace days may
    have changed).
    """
    from django.db import connection

    from plugline.telephony.sipview import sip_subscriber_view_write

    # The devices app sits above telephony: its model is reached through the link.
    device_model = SipAccount._meta.get_field("device").related_model
    assert isinstance(device_model, type)
    kept = 0
    for device_id, serial, number in (
        device_model._default_manager.exclude(phone_number__isnull=True)
        .order_by("pk")
        .values_list("pk", "serial", "phone_number")
    ):
        sip_account_provision(device_id=device_id, serial=serial, phone_number=number)
        kept += 1
    removed, _ = SipAccount.objects.filter(device__phone_number__isnull=True).delete()
    sip_subscriber_view_write(connection)
    return kept, removed


def _blocked_callers_audit(
    *, device_id: int, owner: AbstractBaseUser, change: str, request: HttpRequest | None
) -> None:
    audit_record(
        action=AuditAction.BLOCKED_CALLERS_CHANGED,
        request=request,
        user=owner,
        identifier=str(device_id),
        data={"device_id": device_id, "change": change},
    )


@transaction.atomic
def blocked_caller_add(
    *,
    device_id: int,
    owner: AbstractBaseUser,
    text: str,
    request: HttpRequest | None = None,
) -> tuple[BlockedEntry, bool]:
    """Block the number or prefix `text` on the device (its owner's request); the entry and
    whether it is new. Kamailio refuses its next call."""
    entry = blocked_entry_parse(text)
    existing = BlockedCaller.objects.select_for_update().filter(device_id=device_id)
    if (
        not existing.filter(e164=entry.e164, is_prefix=entry.is_prefix).exists()
        and existing.count() >= MAX_BLOCKED_PER_DEVICE
    ):
        raise ValidationError(
            _("You can block up to %(count)d numbers and prefixes: remove one first."),
            code="too_many",
            params={"count": MAX_BLOCKED_PER_DEVICE},
        )
    _blocked, created = BlockedCaller.objects.get_or_create(
        device_id=device_id, e164=entry.e164, is_prefix=entry.is_prefix
    )
    if created:
        _blocked_callers_audit(
            device_id=device_id,
            owner=owner,
            change=f"blocked {entry.e164}{'…' if entry.is_prefix else ''}",
            request=request,
        )
    return entry, created


@transaction.atomic
def blocked_caller_remove(
    *,
    device_id: int,
    owner: AbstractBaseUser,
    blocked_id: int,
    request: HttpRequest | None = None,
) -> bool:
    """Unblock one of the device's entries; False if it had no such entry."""
    blocked = BlockedCaller.objects.filter(device_id=device_id, pk=blocked_id).first()
    if blocked is None:
        return False
    blocked.delete()
    _blocked_callers_audit(
        device_id=device_id,
        owner=owner,
        change=f"unblocked {blocked.e164}{'…' if blocked.is_prefix else ''}",
        request=request,
    )
    return True


@transaction.atomic
def anonymous_callers_refuse(
    *,
    device_id: int,
    owner: AbstractBaseUser,
    refuse: bool,
    request: HttpRequest | None = None,
) -> bool:
    """Refuse (or accept again) callers who hide their number; whether anything changed."""
    screening, _created = CallScreening.objects.select_for_update().get_or_create(
        device_id=device_id
    )
    if screening.refuse_anonymous == refuse:
        return False
    screening.refuse_anonymous = refuse
    screening.save(update_fields=["refuse_anonymous", "updated_at"])
    _blocked_callers_audit(
        device_id=device_id,
        owner=owner,
        change="anonymous refused" if refuse else "anonymous accepted",
        request=request,
    )
    return True


@transaction.atomic
def blocked_callers_clear(*, device_id: int) -> None:
    """The device leaves its owner: their blocked callers and choices go with them."""
    BlockedCaller.objects.filter(device_id=device_id).delete()
    CallScreening.objects.filter(device_id=device_id).delete()
    CallSettings.objects.filter(device_id=device_id).delete()


_CALL_SETTINGS_FIELDS = (
    "ring_seconds",
    "do_not_disturb",
    "forward_always",
    "forward_busy",
    "forward_no_answer",
    "forward_unreachable",
    "forward_to",
)


def call_settings_for_device(*, device_id: int) -> CallSettings:
    """The device's call settings: its row, or the defaults (not saved) when it has none."""
    return CallSettings.objects.filter(device_id=device_id).first() or CallSettings(
        device_id=device_id
    )


@transaction.atomic
def call_settings_save(
    *,
    device_id: int,
    owner: AbstractBaseUser,
    choice: CallSettingsChoice,
    request: HttpRequest | None = None,
) -> bool:
    """Save the device's ring time, do not disturb and forwarding (its owner's checked
    choice, see plugline.telephony.forwarding); whether anything changed. Kamailio applies
    them from the next call. A line whose service ended keeps them, and its calls stay refused."""
    settings_row, _created = CallSettings.objects.select_for_update().get_or_create(
        device_id=device_id
    )
    changed = {
        name: getattr(choice, name)
        for name in _CALL_SETTINGS_FIELDS
        if getattr(settings_row, name) != getattr(choice, name)
    }
    if not changed:
        return False
    for name, value in changed.items():
        setattr(settings_row, name, value)
    settings_row.full_clean(exclude=["device"])
    settings_row.save()
    audit_record(
        action=AuditAction.CALL_SETTINGS_CHANGED,
        request=request,
        user=owner,
        identifier=str(device_id),
        data={"device_id": device_id, "changed": changed},
    )
    return True


@transaction.atomic
def call_preferences_move(*, from_device_id: int, to_device_id: int) -> None:
    """A new device takes over an old one's line (an upgrade): the old device's blocked
    callers, its choice about anonymous callers and its call settings become the new
    device's (whatever the new device had is replaced); the old device keeps none."""
    for model in (BlockedCaller, CallScreening, CallSettings):
        model.objects.filter(device_id=to_device_id).delete()
        model.objects.filter(device_id=from_device_id).update(device_id=to_device_id)
