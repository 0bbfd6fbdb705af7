"""A gateway double for the payment core's tests, and the data a payment needs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from plugline.billing.gateways.base import ChargeResult, GatewayError, Outcome, RefundResult
from plugline.billing.models import (
    CustomerAccount,
    PaymentMethod,
    Plan,
    PlanPrice,
    Subscription,
)
from plugline.devices.models import Device

_ids = itertools.count(1)


@dataclass
class FakeGateway:
    """Charges once per idempotency key, like a real gateway.

    `outcome` is what the next new charge gets; `lose_answer` charges and
    then raises GatewayError, as a timeout after the gateway acted would.
    """

    name: str = "sandbox"
    outcome: Outcome = Outcome.SUCCEEDED
    decline_code: str = ""
    lose_answer: bool = False
    unreachable: bool = False
    refund_succeeds: bool = True
    charges: dict[str, ChargeResult] = field(default_factory=dict)
    charge_calls: int = 0
    refunds: list[tuple[str, int, str]] = field(default_factory=list)

    def charge(self, *, idempotency_key: str, amount: int, **_: object) -> ChargeResult:
        self.charge_calls += 1
        if self.unreachable:
            raise GatewayError("connection refused")
        if idempotency_key not in self.charges:
            self.charges[idempotency_key] = ChargeResult(
                outcome=self.outcome,
                charge_id=f"ch_{next(_ids)}",
                decline_code=self.decline_code,
                hard_decline=self.outcome == Outcome.DECLINED,
                action_url="https://gateway.test/authenticate"
                if self.outcome == Outcome.REQUIRES_ACTION
                else "",
            )
        if self.lose_answer:
            raise GatewayError("read timed out")
        return self.charges[idempotency_key]

    def charge_lookup(self, *, idempotency_key: str) -> ChargeResult | None:
        if self.unreachable:
            raise GatewayError("connection refused")
        return self.charges.get(idempotency_key)

    def refund(
        self, *, charge_id: str, amount: int, idempotency_key: str, reason: str
    ) -> RefundResult:
        if self.unreachable:
            raise GatewayError("connection refused")
        self.refunds.append((charge_id, amount, idempotency_key))
        return RefundResult(refund_id=f"re_{next(_ids)}", succeeded=self.refund_succeeds)

    @property
    def charged(self) -> int:
        """How many different charges the gateway made (one per key)."""
        return sum(1 for result in self.charges.values() if result.outcome == Outcome.SUCCEEDED)


def plan_make(code: str = "year", months: int = 12, amount: int = 4999) -> Plan:
    plan = Plan.objects.create(code=code, name=f"{months} months", months=months)
    PlanPrice.objects.create(plan=plan, currency="USD", amount=amount)
    return plan


def subscription_make(device: Device, days_left: int = 20) -> Subscription:
    return Subscription.objects.create(
        device=device, ends_at=timezone.now() + timedelta(days=days_left)
    )


def card_make(user: object, last4: str = "4242", token: str = "") -> PaymentMethod:
    user_id = user.pk  # type: ignore[attr-defined]
    CustomerAccount.objects.get_or_create(
        user_id=user_id, defaults={"gateway": "sandbox", "gateway_customer_id": f"cus_{user_id}"}
    )
    return PaymentMethod.objects.create(
        user_id=user_id,
        gateway="sandbox",
        token=token or f"tok_{next(_ids)}",
        brand="Visa",
        last4=last4,
        exp_month=12,
        exp_year=timezone.now().year + 3,
        is_default=not PaymentMethod.objects.filter(user_id=user_id).exists(),
    )
