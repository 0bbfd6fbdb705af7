"""Billing's test fixtures: the real sandbox gateway, and the keys Plugline asks it to charge."""

from __future__ import annotations

import pytest

from plugline.billing import payments
from plugline.billing.gateways.base import ChargeResult
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.tests.factories import sandbox_reset


@pytest.fixture
def gateway(db: None) -> SandboxGateway:
    """The real sandbox gateway (settings.PAYMENT_GATEWAY), answering at once and always."""
    sandbox_reset()
    assert payments.gateway_get().name == "sandbox"
    return SandboxGateway()


@pytest.fixture
def charges_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys Plugline asks the sandbox to charge, in order (the sandbox still charges)."""
    asked: list[str] = []
    real_charge = SandboxGateway.charge

    def charge(self: SandboxGateway, **kwargs: object) -> ChargeResult:
        asked.append(str(kwargs["idempotency_key"]))
        return real_charge(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SandboxGateway, "charge", charge)
    return asked
