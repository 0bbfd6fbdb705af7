"""The device API: what a device (or its softphone, or plugline-device) asks Plugline.

A device authenticates with its key: it asks for a one-time challenge,
signs it, and sends the signature along with the question. There is no
session cookie and no password, so there is nothing a forged cross-site
request could borrow: CSRF protection (which guards cookie-authenticated
requests) has nothing to guard here, and django-ninja leaves these views
exempt from it.

An unknown serial is given a challenge just like a known one (one that can
never verify), so that the API does not tell which serials exist; every
endpoint is rate limited per client address and per serial.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from plugline.devices.line_status import device_line_status
from plugline.devices.models import Device
from plugline.devices.presence import (
    CHALLENGE_LIFETIME,
    PURPOSE_AGENT,
    SERIAL_MAX_LENGTH,
    challenge_issue,
    challenge_new,
    challenge_verify,
    device_for_serial,
)
from plugline.devices.ratelimits import rate_limit_consume
from plugline.telephony.selectors import sip_settings_for_device

router = Router(tags=["device"])


class ChallengeRequest(Schema):
    serial: str = Field(min_length=1, max_length=SERIAL_MAX_LENGTH)


class ChallengeResponse(Schema):
    challenge: str = Field(description="Sign 'plugline-presence:' + this, with the device key.")
    expires_at: datetime


class SignedRequest(Schema):
    serial: str = Field(min_length=1, max_length=SERIAL_MAX_LENGTH)
    challenge: str = Field(min_length=1, max_length=100)
    signature: str = Field(
        min_length=1, max_length=200, description="Ed25519 signature, url-safe base64."
    )


class ProofResponse(Schema):
    present: bool


class StatusResponse(Schema):
    status: str = Field(
        description=(
            "active (the line works), suspended (by the operator), expired (the service "
            "is over, past its grace days), in_stock, sold_online, sold_in_store, released, ..."
        )
    )
    phone_number: str | None = Field(description="The service number, E.164.")
    model: str


class SipSettingsResponse(Schema):
    username: str = Field(description="The SIP user: the number's E.164 digits without '+'.")
    domain: str = Field(description="The SIP domain, also the digest realm.")
    password: str = Field(description="The SIP password; keep it in the device, never log it.")
    proxy: str = Field(description="Where to send REGISTER and INVITE: host:port.")
    transport: str = Field(description="udp or tcp.")


class ErrorResponse(Schema):
    detail: str


def _too_many() -> Status[ErrorResponse]:
    return Status(429, ErrorResponse(detail=_("Too many requests. Wait a minute, then try again.")))


@router.post(
    "/challenge",
    response={200: ChallengeResponse, 429: ErrorResponse},
    summary="A one-time challenge for the device to sign",
)
def device_challenge(request: HttpRequest, body: ChallengeRequest) -> Any:
    if not rate_limit_consume(request, action="device_challenge", serial=body.serial):
        return _too_many()
    expires_at = timezone.now() + CHALLENGE_LIFETIME
    device = device_for_serial(body.serial)
    if device is None:
        challenge = challenge_new()
    else:
        challenge = challenge_issue(device=device, purpose=PURPOSE_AGENT)
    return {"challenge": challenge, "expires_at": expires_at}


@router.post(
    "/proof",
    response={200: ProofResponse, 429: ErrorResponse},
    summary="Whether the signature proves the device holds its key",
)
def device_proof(request: HttpRequest, body: SignedRequest) -> Any:
    if not rate_limit_consume(request, action="device_signed", serial=body.serial):
        return _too_many()
    device = challenge_verify(
        serial=body.serial,
        challenge=body.challenge,
        signature=body.signature,
        purpose=PURPOSE_AGENT,
    )
    return {"present": device is not None}


def _signed_device(request: HttpRequest, body: SignedRequest) -> Device | Status[ErrorResponse]:
    """The device a signed request proves, or the answer to give instead (429, 403)."""
    if not rate_limit_consume(request, action="device_signed", serial=body.serial):
        return _too_many()
    device = challenge_verify(
        serial=body.serial,
        challenge=body.challenge,
        signature=body.signature,
        purpose=PURPOSE_AGENT,
    )
    if device is None:
        return Status(
            403,
            ErrorResponse(
                detail=_("The signature does not prove this device. Ask for a new challenge.")
            ),
        )
    return device


@router.post(
    "/status",
    response={200: StatusResponse, 403: ErrorResponse, 429: ErrorResponse},
    summary="The device's own status, for the device itself",
)
def device_status(request: HttpRequest, body: SignedRequest) -> Any:
    device = _signed_device(request, body)
    if not isinstance(device, Device):
        return device
    return {
        "status": device_line_status(device),
        "phone_number": device.phone_number,
        "model": device.model.name,
    }


@router.post(
    "/sip",
    response={200: SipSettingsResponse, 403: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse},
    summary="The device's SIP settings (its password included), for the device itself",
)
def device_sip_settings(request: HttpRequest, body: SignedRequest) -> Any:
    device = _signed_device(request, body)
    if not isinstance(device, Device):
        return device
    sip = (
        sip_settings_for_device(device_id=device.pk)
        if device.owner_id is not None and device.phone_number
        else None
    )
    if sip is None:
        return Status(
            404,
            ErrorResponse(
                detail=_(
                    "This device has no phone line yet. Activate it on an account "
                    "and choose a number first."
                )
            ),
        )
    return {
        "username": sip.username,
        "domain": sip.domain,
        "password": sip.password,
        "proxy": sip.proxy,
        "transport": sip.transport,
    }
