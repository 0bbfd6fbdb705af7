"""The billing app's periodic jobs (registered in BillingConfig.ready(), run by run_scheduler).

`billing.settle_unknown_payments`: every few minutes, payments whose
gateway answer was lost (UNKNOWN), never recorded (a worker killed after
the gateway answered) or waiting for the cardholder are settled by asking
the gateway what became of their idempotency key.
"""

from __future__ import annotations

from datetime import timedelta

from plugline.billing.payments import payments_settle_unknown

SETTLE_JOB_NAME = "billing.settle_unknown_payments"
SETTLE_JOB_EVERY = timedelta(minutes=3)


def settle_unknown_payments() -> int:
    return payments_settle_unknown(limit=100)
