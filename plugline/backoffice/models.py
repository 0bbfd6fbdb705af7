"""The staff console's permissions, held by a proxy of the account model.

Nothing is stored here: `Customer` is an account as the back office sees it,
and its Meta carries what staff may do to one (granted through the role
groups of plugline.backoffice.roles).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from plugline.accounts.models import User


class Customer(User):
    class Meta:
        proxy = True
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        default_permissions = ()
        permissions = [
            ("view_customer", _("Can find customers and see their page")),
            ("resend_receipt", _("Can send a customer's receipt again")),
            ("reset_customer_sign_in", _("Can send a customer a password reset link")),
            ("suspend_device", _("Can suspend and resume a customer's device")),
            ("refund_payment", _("Can refund a customer's payment")),
            ("extend_service", _("Can give a customer goodwill days of service")),
            ("remove_two_factor", _("Can remove a customer's two-factor sign-in")),
        ]
