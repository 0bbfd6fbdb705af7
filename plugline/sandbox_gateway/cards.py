"""Card numbers as the sandbox reads them: Luhn, brand, test cards, fingerprint.

The number itself is never kept: only its last four digits, its brand, what
the sandbox will do with it (`Behaviour`) and a keyed hash (the fingerprint,
the same for the same number, useless to anyone without the secret key).
"""

from __future__ import annotations

from django.db import models
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables


class Behaviour(models.TextChoices):
    SUCCEED = "succeed", "succeeds"
    DECLINE = "decline", "declined (card_declined), refused by a verification"
    DECLINE_ON_CHARGE = "decline_on_charge", "saved and verified, declined when charged"
    AUTHENTICATE = "authenticate", "charges need the cardholder's authentication"
    INSUFFICIENT_FUNDS = "insufficient_funds", "declined for insufficient funds (soft)"
    EXPIRED = "expired", "declined as expired (expired_card)"


# The well-known test numbers (Stripe's); any other valid number succeeds.
TEST_CARDS: dict[str, Behaviour] = {
    "4242424242424242": Behaviour.SUCCEED,
    "4000000000000002": Behaviour.DECLINE,
    "4000000000000341": Behaviour.DECLINE_ON_CHARGE,
    "4000002760003184": Behaviour.AUTHENTICATE,
    "4000000000009995": Behaviour.INSUFFICIENT_FUNDS,
    "4000000000000069": Behaviour.EXPIRED,
}


def digits_only(value: str) -> str:
    """The digits of a number typed with spaces or dashes ("4242 4242 ...")."""
    return "".join(ch for ch in value if ch not in " -")


@sensitive_variables("number", "digits")
def luhn_valid(number: str) -> bool:
    digits = [int(ch) for ch in number]
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return checksum % 10 == 0


@sensitive_variables("number")
def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"34", "37"}:
        return "American Express"
    if "51" <= number[:2] <= "55" or "2221" <= number[:4] <= "2720":
        return "Mastercard"
    if number.startswith(("6011", "65")):
        return "Discover"
    return "Card"


@sensitive_variables("number")
def behaviour_of(number: str) -> Behaviour:
    return TEST_CARDS.get(number, Behaviour.SUCCEED)


@sensitive_variables("number")
def fingerprint_of(number: str) -> str:
    return salted_hmac(
        "plugline.sandbox_gateway.fingerprint", number, algorithm="sha256"
    ).hexdigest()[:40]
