"""What staff do to a customer from the console, each audited with the staff member's reason.

Money, service periods and lines move through their own apps' services
(billing.payments.payment_refund, billing.services.subscription_add_goodwill_days,
devices.services.device_suspend / device_resume); what is here is what only the
console does: a receipt again, a reset link sent for the customer, two-factor removed.
"""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.internal import flows
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from plugline.accounts.models import User
from plugline.billing.models import Payment, PaymentStatus
from plugline.billing.receipts import receipt_email
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.notifications.services import EmailToSend, emails_send

RECEIPT_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)


@transaction.atomic
def customers_search_audit(
    *, staff: AbstractBaseUser, kinds: list[str], found: list[User], request: HttpRequest
) -> None:
    """Record that `staff` searched: the kinds tried and how many matched, never the term."""
    audit_record(
        action=AuditAction.CUSTOMER_SEARCHED,
        request=request,
        user=found[0] if len(found) == 1 else None,
        actor=staff,
        data={"kinds": kinds, "matches": len(found)},
    )


@transaction.atomic
def receipt_resend(
    *, payment: Payment, reason: str, staff: AbstractBaseUser, request: HttpRequest
) -> bool:
    """Queue a paid payment's receipt again, to the customer's preferred email; whether it was."""
    if payment.status not in RECEIPT_STATUSES or payment.invoice_number is None:
        return False
    email = receipt_email(payment=payment)
    if email is None:
        return False
    emails_send([email])
    audit_record(
        action=AuditAction.RECEIPT_RESENT,
        request=request,
        user=payment.user,
        actor=staff,
        data={"invoice_number": payment.invoice_number, "reason": reason},
    )
    return True


@transaction.atomic
def customer_password_reset_send(
    *, customer: User, reason: str, staff: AbstractBaseUser, request: HttpRequest
) -> None:
    """Email the customer a password reset link (allauth's flow); staff never see the link."""
    flows.password_reset.request_password_reset(
        request,
        customer.email,
        [customer],
        allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR(),
    )
    audit_record(
        action=AuditAction.PASSWORD_RESET_SENT_BY_STAFF,
        request=request,
        user=customer,
        actor=staff,
        data={"reason": reason},
    )


@transaction.atomic
def customer_two_factor_remove(
    *, customer: User, reason: str, staff: AbstractBaseUser, request: HttpRequest
) -> int:
    """Remove the customer's authenticators after staff checked who they are; how many.

    The customer is told by email, so that a removal they did not ask for does
    not go unnoticed.
    """
    removed, _ = Authenticator.objects.filter(user=customer).delete()
    if not removed:
        return 0
    audit_record(
        action=AuditAction.TWO_FACTOR_REMOVED_BY_STAFF,
        request=request,
        user=customer,
        actor=staff,
        data={"reason": reason, "identity_checked": True},
    )
    language = customer.language or settings.LANGUAGE_CODE
    emails_send(
        [
            EmailToSend(
                template="backoffice/email/two_factor_removed",
                to=customer.email,
                context={"name": customer.get_short_name()},
                language=language,
                user=customer,
            )
        ]
    )
    return removed
