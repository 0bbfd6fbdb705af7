"""Decline codes from the payment gateways, as staff read them (console and reports)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

# Another code is shown as it is.
DECLINE_REASONS = {
    "card_declined": gettext_lazy("card declined"),
    "insufficient_funds": gettext_lazy("insufficient funds"),
    "expired_card": gettext_lazy("card expired"),
    "processing_error": gettext_lazy("processing error"),
    "try_again_later": gettext_lazy("try again later"),
    "issuer_not_available": gettext_lazy("bank not reachable"),
    "not_sent": gettext_lazy("not sent"),
    "authentication_abandoned": gettext_lazy("authentication abandoned"),
    "authentication_failed": gettext_lazy("authentication failed"),
}
