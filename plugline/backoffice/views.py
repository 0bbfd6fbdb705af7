"""The staff console's pages: search, a customer's story, and the actions on it.

Every view is behind staff_required (staff, two-factor, the permission); every
object an action touches is looked up within the customer it is for.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from plugline.accounts.models import User
from plugline.accounts.staff_access import staff_required
from plugline.backoffice import selectors, services
from plugline.backoffice.forms import (
    ConsoleRefundForm,
    GoodwillForm,
    ReasonForm,
    SearchForm,
    TwoFactorRemoveForm,
)
from plugline.backoffice.roles import role_label
from plugline.billing.declines import DECLINE_REASONS
from plugline.billing.models import Payment, Subscription
from plugline.billing.payments import (
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_SUCCEEDED,
    REFUND_UNKNOWN,
    PaymentRefused,
    payment_refund,
    payment_refundable,
)
from plugline.billing.refund_admin import _refused_message
from plugline.billing.selectors import ServiceSummary, service_summary
from plugline.billing.services import subscription_add_goodwill_days
from plugline.core.money import money_format
from plugline.devices.models import Device
from plugline.devices.services import device_resume, device_suspend

# The refunds' statuses and the gateways' decline codes are stored as codes; staff read
# them in their language (a code not listed here is shown as it is).
REFUND_STATUSES = {
    REFUND_PENDING: pgettext_lazy("refund status", "pending"),
    REFUND_SUCCEEDED: pgettext_lazy("refund status", "done"),
    REFUND_FAILED: pgettext_lazy("refund status", "failed"),
    REFUND_UNKNOWN: pgettext_lazy("refund status", "awaiting the gateway's answer"),
}


def _staff(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # staff_required let only staff in
    return user


@require_GET
@staff_required("backoffice.view_customer")
def home(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    outcome = None
    if form.is_bound and form.is_valid() and "q" in request.GET:
        outcome = selectors.customers_search(query=form.cleaned_data["q"])
        if not outcome.error:
            found = [match.customer for match in outcome.matches]
            services.customers_search_audit(
                staff=_staff(request), kinds=outcome.kinds, found=found, request=request
            )
            if len(found) == 1:
                return redirect("backoffice:customer", pk=found[0].pk)
    elif form.is_bound and not form.is_valid():
        # Too long, or what no identifier holds (a NUL byte): each says which.
        error = (
            _("That is too long to be an identifier (%(limit)d characters at most).")
            % {"limit": selectors.QUERY_MAX_LENGTH}
            if form.has_error("q", "max_length")
            else " ".join(str(message) for message in form.errors["q"])
        )
        outcome = selectors.SearchOutcome([], [], error)
    roles = sorted(role_label(group.name) for group in request.user.groups.all())
    return render(
        request,
        "backoffice/home.html",
        {"form": form, "outcome": outcome, "staff_section": "customers", "roles": roles},
    )


@dataclass
class DeviceRow:
    device: Device
    subscription: Subscription | None
    service: ServiceSummary


@require_GET
@staff_required("backoffice.view_customer")
def customer(request: HttpRequest, pk: int) -> HttpResponse:
    person = _customer_or_404(pk)
    story = selectors.customer_story(customer=person, timeline_page=request.GET.get("page"))
    devices = []
    for device in story.devices:
        subscription = selectors.subscription_of(device)
        devices.append(
            DeviceRow(
                device=device, subscription=subscription, service=service_summary(subscription)
            )
        )
    payments = [
        {
            "payment": payment,
            "amount": money_format(payment.amount, payment.currency),
            "refunded": money_format(payment.refunded_amount, payment.currency)
            if payment.refunded_amount
            else "",
            "refunds": [
                (
                    refund,
                    money_format(refund.amount, payment.currency),
                    REFUND_STATUSES.get(refund.status, refund.status),
                )
                for refund in payment.refunds.all()
            ],
            # The plans paid for, by their names in the staff member's language.
            "plans": ", ".join(sorted({item.plan.display_name() for item in payment.items.all()})),
            "decline_reason": DECLINE_REASONS.get(payment.decline_code, payment.decline_code),
            # What is left to refund, from the refunds already read (no query per payment).
            "left": _left_to_refund(payment),
        }
        for payment in story.payments
    ]
    return render(
        request,
        "backoffice/customer.html",
        {
            "staff_section": "customers",
            "story": story,
            "person": person,
            "devices": devices,
            "payments": payments,
            "reason_form": ReasonForm(),
            "goodwill_form": GoodwillForm(),
            "two_factor_form": TwoFactorRemoveForm(),
            # What was typed in a form refused just before, by its field's id.
            "kept": _kept(request, person),
        },
    )


def _left_to_refund(payment: Payment) -> str:
    if payment.status not in ("succeeded", "partially_refunded"):
        return ""
    reserved = sum(refund.amount for refund in payment.refunds.all() if refund.status != "failed")
    left = max(payment.amount - reserved, 0)
    return money_format(left, payment.currency) if left else ""


def _customer_or_404(pk: int) -> User:
    person = selectors.customer_get(pk=pk)
    if person is None:
        raise Http404("No such customer")
    return person


def _device_or_404(person: User, device_id: int) -> Device:
    device = Device.objects.filter(pk=device_id, owner=person).first()
    if device is None:
        raise Http404("No such device")
    return device


def _payment_or_404(person: User, payment_id: str) -> Payment:
    payment = Payment.objects.filter(pk=payment_id, user=person).first()
    if payment is None:
        raise Http404("No such payment")
    return payment


def _refused(
    request: HttpRequest, person: User, form: Form, fields: dict[str, str]
) -> HttpResponse:
    """Back to the customer's page with what to change at its top, focused (see
    staff_base.html): each error names its field and links to it, by the id the page
    gives that field (`fields`). No #anchor: a page opened at one is not autofocused.
    What was typed is in the fields again (`_keep`)."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for error in errors:
            text = f"{label}: {error}" if label else str(error)
            messages.error(request, text, extra_tags=fields.get(name, ""))
    _keep(request, person, fields)
    return redirect(person_url(person))


def _failed(request: HttpRequest, person: User, text: str, fields: dict[str, str]) -> HttpResponse:
    """An action the services refused: said at the top of the customer's page, focused,
    with what was typed in the fields again."""
    messages.error(request, text)
    _keep(request, person, fields)
    return redirect(person_url(person))


# The session's key for what a staff member typed in a refused form, and the fields kept
# (text only: a checkbox such as "I checked who the customer is" is to be ticked again).
_KEPT = "backoffice_kept"
_KEPT_FIELDS = frozenset({"amount", "days", "reason"})
# More than any of these fields takes (the page's maxlength): a long POST is not kept whole.
_KEPT_LENGTH = 1000


def _keep(request: HttpRequest, person: User, fields: dict[str, str]) -> None:
    """Keep what was typed in the refused form, by the ids the customer's page gives its
    fields, for that customer's page only and for its next showing only."""
    request.session[_KEPT] = {
        "customer": person.pk,
        "values": {
            element: request.POST.get(name, "")[:_KEPT_LENGTH]
            for name, element in fields.items()
            if name in _KEPT_FIELDS
        },
    }


def _kept(request: HttpRequest, person: User) -> dict[str, str]:
    """What `_keep` kept for this customer's page (and no longer kept once shown)."""
    kept = request.session.pop(_KEPT, None)
    if not isinstance(kept, dict) or kept.get("customer") != person.pk:
        return {}
    return dict(kept.get("values", {}))


def _back(person: User, anchor: str) -> HttpResponse:
    return redirect(f"{person_url(person)}#{anchor}")


def person_url(person: User) -> str:
    return reverse("backoffice:customer", kwargs={"pk": person.pk})


@require_POST
@staff_required("backoffice.view_customer", "backoffice.refund_payment")
def refund(request: HttpRequest, pk: int, payment_id: str) -> HttpResponse:
    person = _customer_or_404(pk)
    payment = _payment_or_404(person, payment_id)
    form = ConsoleRefundForm(request.POST, payment=payment, left=payment_refundable(payment))
    if not form.is_valid():
        return _refused(
            request,
            person,
            form,
            {"amount": f"amount-{payment.pk}", "reason": f"reason-refund-{payment.pk}"},
        )
    try:
        payment_refund(
            payment=payment,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            staff=_staff(request),
        )
    except PaymentRefused as refused:
        return _failed(
            request,
            person,
            _refused_message(refused.reason),
            {"amount": f"amount-{payment.pk}", "reason": f"reason-refund-{payment.pk}"},
        )
    messages.success(
        request,
        _("Refunded %(amount)s.")
        % {"amount": money_format(form.cleaned_data["amount"], payment.currency)},
    )
    return _back(person, "payments")


@require_POST
@staff_required("backoffice.view_customer", "backoffice.resend_receipt")
def receipt_resend(request: HttpRequest, pk: int, payment_id: str) -> HttpResponse:
    person = _customer_or_404(pk)
    payment = _payment_or_404(person, payment_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _refused(request, person, form, {"reason": f"reason-receipt-{payment.pk}"})
    if not services.receipt_resend(
        payment=payment, reason=form.cleaned_data["reason"], staff=_staff(request), request=request
    ):
        return _failed(
            request,
            person,
            _("Only a payment that went through has a receipt."),
            {"reason": f"reason-receipt-{payment.pk}"},
        )
    messages.success(
        request, _("The receipt is on its way to %(email)s.") % {"email": person.email}
    )
    return _back(person, "payments")


@require_POST
@staff_required("backoffice.view_customer", "backoffice.extend_service")
def goodwill(request: HttpRequest, pk: int, device_id: int) -> HttpResponse:
    person = _customer_or_404(pk)
    device = _device_or_404(person, device_id)
    form = GoodwillForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            person,
            form,
            {"days": f"days-{device.pk}", "reason": f"reason-goodwill-{device.pk}"},
        )
    period = subscription_add_goodwill_days(
        device=device,
        days=form.cleaned_data["days"],
        reason=form.cleaned_data["reason"],
        actor=_staff(request),
        request=request,
    )
    messages.success(
        request,
        _("Service extended: %(serial)s now runs until %(date)s.")
        % {
            "serial": device.serial,
            "date": formats.date_format(timezone.localtime(period.ends_at), "DATE_FORMAT"),
        },
    )
    return _back(person, "devices")


@require_POST
@staff_required("backoffice.view_customer", "backoffice.suspend_device")
def line(request: HttpRequest, pk: int, device_id: int, action: str) -> HttpResponse:
    person = _customer_or_404(pk)
    device = _device_or_404(person, device_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _refused(request, person, form, {"reason": f"reason-line-{device.pk}"})
    service = device_suspend if action == "suspend" else device_resume
    try:
        changed = service(
            device=device,
            reason=form.cleaned_data["reason"],
            actor=_staff(request),
            request=request,
        )
    except ValidationError as error:
        return _failed(
            request, person, " ".join(error.messages), {"reason": f"reason-line-{device.pk}"}
        )
    if action == "suspend":
        text = _("Line suspended.") if changed else _("The line was already suspended.")
    else:
        text = _("Line resumed.") if changed else _("The line was not suspended.")
    messages.success(request, text)
    return _back(person, "devices")


@require_POST
@staff_required("backoffice.view_customer", "backoffice.reset_customer_sign_in")
def password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    person = _customer_or_404(pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _refused(request, person, form, {"reason": "reason-password-reset"})
    services.customer_password_reset_send(
        customer=person,
        reason=form.cleaned_data["reason"],
        staff=_staff(request),
        request=request,
    )
    messages.success(
        request,
        _("A password reset link is on its way to %(email)s.") % {"email": person.email},
    )
    return _back(person, "sign-in")


@require_POST
@staff_required("backoffice.view_customer", "backoffice.remove_two_factor")
def two_factor_remove(request: HttpRequest, pk: int) -> HttpResponse:
    person = _customer_or_404(pk)
    form = TwoFactorRemoveForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            person,
            form,
            {"identity_checked": "identity-checked", "reason": "reason-two-factor"},
        )
    if not services.customer_two_factor_remove(
        customer=person, reason=form.cleaned_data["reason"], staff=_staff(request), request=request
    ):
        return _failed(
            request,
            person,
            _("This customer has no two-factor sign-in."),
            {"reason": "reason-two-factor"},
        )
    messages.success(request, _("Two-factor sign-in removed; the customer is told by email."))
    return _back(person, "sign-in")
