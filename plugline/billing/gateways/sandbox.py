"""The sandbox gateway: the Gateway interface over the sandbox PSP (plugline.sandbox_gateway).

The sandbox runs in the same process, but Plugline reaches it only through
this adapter, as it would reach a real PSP over HTTPS. The "network" is
simulated here from the sandbox's configuration: latency on every call,
calls that fail before reaching the sandbox (GatewayError, nothing done),
and charges or refunds that are done but whose answer is lost (GatewayError
after the sandbox recorded them: `charge_lookup` finds them).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.urls import reverse

from plugline.billing.gateways.base import (
    Card,
    ChargeRequest,
    ChargeResult,
    GatewayError,
    Outcome,
    RefundResult,
    WebhookEventData,
)
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import ChargeStatus, SandboxCard, SandboxCharge
from plugline.sandbox_gateway.signing import signature_check

T = TypeVar("T")

_OUTCOMES = {
    ChargeStatus.SUCCEEDED: Outcome.SUCCEEDED,
    ChargeStatus.REQUIRES_ACTION: Outcome.REQUIRES_ACTION,
    ChargeStatus.DECLINED: Outcome.DECLINED,
}


def _card(card: SandboxCard) -> Card:
    return Card(
        token=card.token,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        fingerprint=card.fingerprint,
    )


def _charge_result(charge: SandboxCharge) -> ChargeResult:
    outcome = _OUTCOMES[ChargeStatus(charge.status)]
    return ChargeResult(
        outcome=outcome,
        charge_id=charge.id,
        decline_code=charge.decline_code,
        hard_decline=charge.hard_decline,
        action_url=reverse("sandbox_gateway:authenticate", args=[charge.id])
        if outcome == Outcome.REQUIRES_ACTION
        else "",
    )


class SandboxGateway:
    name = "sandbox"

    def _call(self, operation: Callable[[], T], *, answer_may_be_lost: bool = False) -> T:
        config = psp.config_get()
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000)
        if config.failure_rate and random.random() < config.failure_rate:  # noqa: S311
            raise GatewayError("the sandbox could not be reached")
        result = operation()
        # A simulation: no secret hangs on these draws.
        lost = config.timeout_rate and random.random() < config.timeout_rate  # noqa: S311
        if answer_may_be_lost and lost:
            raise GatewayError("the sandbox's answer was lost (timeout)")
        return result

    def customer_create(self, *, email: str, idempotency_key: str) -> str:
        customer = self._call(
            lambda: psp.customer_create(email=email, idempotency_key=idempotency_key)
        )
        return customer.id

    def card_session_start(self, *, customer_id: str, return_url: str, verify: bool) -> str:
        session = self._call(
            lambda: psp.card_session_start(
                customer_id=customer_id, return_url=return_url, verify=verify
            )
        )
        return reverse("sandbox_gateway:card", args=[session.id])

    def card_session_result(self, *, session_id: str, customer_id: str) -> Card | None:
        card = self._call(
            lambda: psp.card_session_result(session_id=session_id, customer_id=customer_id)
        )
        return _card(card) if card is not None else None

    def card_remove(self, *, customer_id: str, token: str) -> None:
        self._call(lambda: psp.card_remove(customer_id=customer_id, token=token))

    def charge(
        self,
        *,
        customer_id: str,
        token: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        def operation() -> SandboxCharge:
            try:
                return psp.charge_create(
                    customer_id=customer_id,
                    token=token,
                    amount=amount,
                    currency=currency,
                    idempotency_key=idempotency_key,
                    description=description,
                )
            except psp.IdempotencyKeyReused:
                raise GatewayError("idempotency key reused with other parameters") from None

        return _charge_result(self._call(operation, answer_may_be_lost=True))

    def charges(self, requests: Sequence[ChargeRequest]) -> list[ChargeResult | GatewayError]:
        """Sent at once: the latency is waited once, as for concurrent requests; each
        request may fail or lose its answer on its own, as `charge` does."""
        config = psp.config_get()
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000)
        sent = [
            request
            for request in requests
            if not (config.failure_rate and random.random() < config.failure_rate)  # noqa: S311
        ]
        charged = dict(
            zip(
                (id(request) for request in sent),
                psp.charges_create(
                    [
                        psp.ChargeAsked(
                            customer_id=request.customer_id,
                            token=request.token,
                            amount=request.amount,
                            currency=request.currency,
                            idempotency_key=request.idempotency_key,
                            description=request.description,
                        )
                        for request in sent
                    ]
                )
                if sent
                else [],
                strict=True,
            )
        )
        answers: list[ChargeResult | GatewayError] = []
        for request in requests:
            charge = charged.get(id(request))
            if charge is None:
                answers.append(GatewayError("the sandbox could not be reached"))
            elif isinstance(charge, psp.IdempotencyKeyReused):
                answers.append(GatewayError("idempotency key reused with other parameters"))
            elif config.timeout_rate and random.random() < config.timeout_rate:  # noqa: S311
                answers.append(GatewayError("the sandbox's answer was lost (timeout)"))
            else:
                answers.append(_charge_result(charge))
        return answers

    def charge_lookup(self, *, idempotency_key: str) -> ChargeResult | None:
        charge = self._call(lambda: psp.charge_get_by_key(idempotency_key=idempotency_key))
        return _charge_result(charge) if charge is not None else None

    def refund(
        self, *, charge_id: str, amount: int, idempotency_key: str, reason: str
    ) -> RefundResult:
        def operation() -> RefundResult:
            try:
                refund = psp.refund_create(
                    charge_id=charge_id,
                    amount=amount,
                    idempotency_key=idempotency_key,
                    reason=reason,
                )
            except SandboxCharge.DoesNotExist:
                return RefundResult(refund_id="", succeeded=False)
            return RefundResult(refund_id=refund.id, succeeded=refund.succeeded)

        return self._call(operation, answer_may_be_lost=True)

    def webhook_verify(
        self, *, payload: bytes, signature_header: str, tolerance_seconds: int = 300
    ) -> WebhookEventData:
        signature_check(
            payload=payload,
            header=signature_header,
            tolerance_seconds=tolerance_seconds,
            now=time.time(),
        )
        try:
            event = json.loads(payload)
            return WebhookEventData(
                event_id=str(event["id"]), type=str(event["type"]), data=dict(event["data"])
            )
        except (ValueError, KeyError, TypeError):
            raise ValueError("the event is not what the sandbox sends") from None
