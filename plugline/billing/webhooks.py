"""Receiving the payment gateway's webhooks: signed, recent, and each event once.

The receiver checks the signature and its age with the gateway's
`webhook_verify`, records the event (WebhookEvent is unique per gateway and
event id, so a replay is refused by the database) and, for charge events,
hands it to `plugline.billing.payments.payment_settle_from_webhook` when that
exists, in the same transaction: if settling fails, nothing is recorded and
the gateway's next delivery tries again. A forged, stale or replayed event
gets a 400 and changes nothing.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from plugline.billing.gateways import gateway_get
from plugline.billing.gateways.base import WebhookEventData
from plugline.billing.models import WebhookEvent

logger = logging.getLogger(__name__)

# The header each gateway signs its events with.
SIGNATURE_HEADERS = {"sandbox": "Sandbox-Signature"}
MAX_BODY_BYTES = 64 * 1024


def _settle_hook() -> Callable[[WebhookEventData], object] | None:
    try:
        payments = importlib.import_module("plugline.billing.payments")
    except ModuleNotFoundError:
        return None
    hook: Callable[[WebhookEventData], object] | None = getattr(
        payments, "payment_settle_from_webhook", None
    )
    return hook


class WebhookReplayed(Exception):
    pass


@transaction.atomic
def webhook_record(*, gateway: str, event: WebhookEventData) -> WebhookEvent:
    """Records the event once (WebhookReplayed the second time) and settles what it tells."""
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                gateway=gateway, event_id=event.event_id, type=event.type[:60], payload=event.data
            )
    except IntegrityError:
        raise WebhookReplayed(event.event_id) from None
    hook = _settle_hook()
    if hook is not None and event.type.startswith("charge."):
        hook(event)
    return record


@csrf_exempt
@require_POST
def webhook_receive(request: HttpRequest, gateway_name: str) -> HttpResponse:
    gateway = gateway_get()
    if gateway.name != gateway_name or gateway_name not in SIGNATURE_HEADERS:
        raise Http404("no such gateway")
    payload = request.body
    if len(payload) > MAX_BODY_BYTES:
        return HttpResponseBadRequest("too large")
    header = request.headers.get(SIGNATURE_HEADERS[gateway_name], "")
    try:
        event = gateway.webhook_verify(payload=payload, signature_header=header)
    except ValueError as error:
        logger.warning("Refused a %s webhook: %s", gateway_name, error)
        return HttpResponseBadRequest("bad signature")
    try:
        webhook_record(gateway=gateway_name, event=event)
    except WebhookReplayed:
        logger.warning("Refused a replayed %s webhook %s", gateway_name, event.event_id)
        return HttpResponseBadRequest("already received")
    return HttpResponse("ok", content_type="text/plain")
