"""Steps 2 to 7 of the activation wizard, and the page that says the device is active.

Each page belongs to one step: it shows the answer given before (so a
customer can come back and change it), saves on submit and goes on to the
next step. A step whose earlier steps are not done sends the customer to the
first one that is not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.core.internal.ratelimit import consume
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plugline.accounts.models import User
from plugline.core.addresses import ADDRESS_FIELDS
from plugline.core.phones import format_phone_number
from plugline.devices.models import Activation, ActivationStatus, PurchaseChannel
from plugline.devices.number_picker import number_picker_context
from plugline.devices.signals import ActivationRefused
from plugline.devices.wizard.forms import (
    AddressesForm,
    CodeForm,
    NewAccountForm,
    NumberChoiceForm,
    NumberSearchForm,
    PurchaseForm,
    TermsForm,
    addresses_initial,
)
from plugline.devices.wizard.services import (
    Outcome,
    activation_account_set_new,
    activation_account_use_existing,
    activation_addresses_set,
    activation_code_recipient,
    activation_code_send,
    activation_complete,
    activation_number_choose,
    activation_purchase_set,
    activation_terms_accept,
)
from plugline.devices.wizard.state import (
    STEPS,
    activation_current_step,
    activation_for_request,
    activation_number_held_until,
    activation_number_kept,
    device_sold_online,
)

# Where the last completed wizard of this browser is, for the "active" page.
DONE_SESSION_KEY = "plugline_activation_done"

SIGN_IN_BACKEND = "plugline.accounts.backends.IdentifierBackend"

# "amount/period/per": per wizard ("key") and per client address ("ip").
WIZARD_RATE_LIMITS = {
    # A wrong order email: enough for typing mistakes, too few to guess one.
    "activate_order_email": "5/15m/key,20/h/key,30/h/ip",
    # Activation codes sent: one a minute, a few an hour.
    "activate_code_send": "1/m/key,5/h/key,30/h/ip",
}


def _rate_limit(request: HttpRequest, *, action: str, key: str, dry_run: bool = False) -> bool:
    """Count one use of `action` for `key` (or only look, `dry_run`); False at the limit."""
    usage = consume(
        request,
        app="plugline.devices.wizard",
        action=action,
        config=WIZARD_RATE_LIMITS,
        key=key,
        dry_run=dry_run,
        limit_get=True,
    )
    return usage is not None


def step_url(step: str) -> str:
    return reverse(f"devices:activate_{step}")


def _step_context(activation: Activation, step: str, **extra: Any) -> dict[str, Any]:
    return {
        "activation": activation,
        "device": activation.device,
        # For the step indicator (devices/activate/base.html).
        "wizard_step": step,
        **extra,
    }


StepView = Callable[[HttpRequest, Activation], HttpResponse]


def wizard_step(step: str) -> Callable[[StepView], Callable[[HttpRequest], HttpResponse]]:
    """A step's view: only for this browser's wizard, once the steps before it are done."""

    def decorate(view: StepView) -> Callable[[HttpRequest], HttpResponse]:
        @never_cache
        def wrapped(request: HttpRequest) -> HttpResponse:
            activation = activation_for_request(request)
            if activation is None:
                return redirect(step_url(STEPS[0]))
            current = activation_current_step(activation)
            if request.user.is_authenticated and activation.user_id != request.user.pk:
                # Signed in since the new account's details were given: which
                # account gets the device is to be said again.
                current = min(current, "account", key=STEPS.index)
            if STEPS.index(current) < STEPS.index(step):
                return redirect(step_url(current))
            return view(request, activation)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


def _posted(request: HttpRequest) -> Any:
    """The form's data on a POST (even an empty one: nothing chosen is an answer to check)."""
    return request.POST if request.method == "POST" else None


def _next(step: str) -> HttpResponse:
    return redirect(step_url(STEPS[STEPS.index(step) + 1]))


@wizard_step("purchase")
def purchase(request: HttpRequest, activation: Activation) -> HttpResponse:
    """Step 2: "Where did you buy it?"; bought online, the order's email proves it."""
    if activation.trial:
        # A free trial's step 2 is its sign-up (billing.trial_views).
        return redirect("trial:signup")
    device = activation.device
    assert device is not None  # step 1 is done
    initial = {"channel": activation.purchase_channel}
    form = PurchaseForm(_posted(request), initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        key = str(activation.pk)
        channel = form.cleaned_data["channel"]
        online = channel == PurchaseChannel.ONLINE
        if online and not _rate_limit(
            request, action="activate_order_email", key=key, dry_run=True
        ):
            form.add_error(
                "order_email",
                gettext("Too many tries with a wrong email. Wait 15 minutes, then try again."),
            )
            status = 429
        else:
            try:
                activation_purchase_set(
                    activation=activation,
                    channel=channel,
                    order_email=form.cleaned_data.get("order_email") or "",
                )
            except ValidationError as error:
                if error.code == "mismatch":
                    _rate_limit(request, action="activate_order_email", key=key)
                field = "order_email" if error.code == "mismatch" else "channel"
                form.add_error(field, error)
            else:
                return _next("purchase")
    return render(
        request,
        "devices/activate/purchase.html",
        _step_context(activation, "purchase", form=form, sold_online=device_sold_online(device)),
        status=status,
    )


@wizard_step("account")
def account(request: HttpRequest, activation: Activation) -> HttpResponse:
    """Step 3: create an account, or sign in and add the device to one's account."""
    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        if request.method == "POST":
            activation_account_use_existing(activation=activation, user=request.user)
            return _next("account")
        return render(
            request,
            "devices/activate/account_existing.html",
            _step_context(activation, "account", chosen=activation.user_id == request.user.pk),
        )
    has_password = bool(activation.password_hash)
    initial = {
        "first_name": activation.first_name,
        "last_name": activation.last_name,
        "email": activation.email,
    }
    form = NewAccountForm(_posted(request), initial=initial, has_password=has_password)
    if request.method == "POST" and form.is_valid():
        activation_account_set_new(
            activation=activation,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            email=form.cleaned_data["email"],
            password=form.password(),
        )
        return _next("account")
    sign_in_url = f"{reverse('account_login')}?next={step_url('account')}"
    return render(
        request,
        "devices/activate/account.html",
        _step_context(activation, "account", form=form, sign_in_url=sign_in_url),
    )


@wizard_step("addresses")
def addresses(request: HttpRequest, activation: Activation) -> HttpResponse:
    """Step 4: the contact address and the device's E911 address."""
    contact = dict(activation.contact_address)
    user = activation.user
    if not contact and user is not None:
        # An existing account: its profile's address, to confirm or change.
        contact = {field: getattr(user, field) for field in ADDRESS_FIELDS}
    initial = addresses_initial(contact=contact, e911=dict(activation.e911_address))
    form = AddressesForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activation_addresses_set(
                activation=activation,
                contact_address=form.cleaned_data["contact_address"],
                e911_address=form.cleaned_data["e911_address"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return _next("addresses")
    return render(
        request,
        "devices/activate/addresses.html",
        _step_context(activation, "addresses", form=form),
    )


@wizard_step("number")
def number(request: HttpRequest, activation: Activation) -> HttpResponse:
    """Step 5: find a free number by area code or city, and hold it while the wizard is open.

    A device that takes over the number of another device of the account (an upgrade) has
    none to choose: the step says which number it gets.
    """
    kept = activation_number_kept(activation)
    if kept:
        return render(
            request,
            "devices/activate/number_kept.html",
            _step_context(activation, "number", kept=format_phone_number(kept)),
        )
    if request.GET:
        search = NumberSearchForm(request.GET)
    else:
        # Start with numbers where the device will be used.
        search = NumberSearchForm({"city": activation.e911_address.get("city", "")})
    choice = NumberChoiceForm(_posted(request))
    taken = False
    if request.method == "POST" and choice.is_valid():
        if activation_number_choose(activation=activation, e164=choice.cleaned_data["number"]):
            return _next("number")
        taken = True
        choice = NumberChoiceForm()
    held_until = activation_number_held_until(activation)
    lost = bool(activation.phone_number) and held_until is None
    return render(
        request,
        "devices/activate/number.html",
        _step_context(
            activation,
            "number",
            **number_picker_context(search=search, choice=choice, search_action=step_url("number")),
            taken=taken,
            chosen=format_phone_number(activation.phone_number) if held_until else "",
            chosen_e164=activation.phone_number if held_until else "",
            held_until=held_until if held_until and held_until > timezone.now() else None,
            lost=format_phone_number(activation.phone_number) if lost else "",
        ),
    )


@wizard_step("terms")
def terms(request: HttpRequest, activation: Activation) -> HttpResponse:
    """Step 6: the terms of service, accepted with a tick; the code is then emailed."""
    version = settings.TERMS_OF_SERVICE_VERSION
    accepted = activation.terms_accepted_at is not None and activation.terms_version == version
    form = TermsForm(_posted(request), initial={"accept": accepted})
    if request.method == "POST" and form.is_valid():
        activation_terms_accept(activation=activation, version=version)
        if not _code_still_good(activation):
            _send_code(request, activation)
        return _next("terms")
    return render(
        request,
        "devices/activate/terms.html",
        _step_context(activation, "terms", form=form, version=version),
    )


def _code_still_good(activation: Activation) -> bool:
    """A code sent to the wizard's address that can still be used."""
    return (
        bool(activation.code_hash)
        and activation.code_expires_at is not None
        and activation.code_expires_at > timezone.now()
        and activation.code_failures < settings.ACTIVATION_CODE_MAX_FAILURES
    )


def _send_code(request: HttpRequest, activation: Activation) -> bool:
    """Email a new code unless this wizard asked for too many; False if it was not sent."""
    if not _rate_limit(request, action="activate_code_send", key=str(activation.pk)):
        return False
    activation_code_send(activation=activation, language=get_language() or "en")
    activation.refresh_from_db()
    return True


def _code_context(activation: Activation, form: CodeForm, **extra: Any) -> dict[str, Any]:
    return _step_context(
        activation,
        "code",
        form=form,
        recipient=activation_code_recipient(activation),
        code_sent=bool(activation.code_hash),
        expires_at=activation.code_expires_at,
        minutes=settings.ACTIVATION_CODE_MINUTES,
        number=format_phone_number(activation_number_kept(activation) or activation.phone_number),
        **extra,
    )


@wizard_step("code")
def code(request: HttpRequest, activation: Activation) -> HttpResponse:
    """Step 7: the emailed code, and "Activate my device"."""
    form = CodeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            completion = activation_complete(
                activation=activation,
                code=form.cleaned_data["code"],
                language=get_language() or settings.LANGUAGE_CODE,
                request=request,
            )
        except ActivationRefused as refused:
            form.add_error("code", refused.message)
            return render(request, "devices/activate/code.html", _code_context(activation, form))
        outcome = completion.outcome
        if outcome is Outcome.ACTIVATED:
            assert completion.user is not None
            if not request.user.is_authenticated:
                # The new account is signed in, as if with its email and password.
                login(request, completion.user, backend=SIGN_IN_BACKEND)
            request.session[DONE_SESSION_KEY] = str(activation.pk)
            return redirect("devices:activate_done")
        if outcome is Outcome.NUMBER_LOST:
            messages.error(
                request,
                gettext(
                    "The number you chose was taken by someone else meanwhile. Please choose "
                    "another; your code still works."
                ),
            )
            return redirect(step_url("number"))
        if outcome is Outcome.DEVICE_UNAVAILABLE:
            return redirect(step_url(STEPS[0]))
        if outcome is Outcome.NOT_OPEN:
            return redirect(step_url(STEPS[0]))
        form.add_error("code", _code_refusal(completion.outcome, completion.tries_left))
        activation.refresh_from_db()
    return render(request, "devices/activate/code.html", _code_context(activation, form))


def _code_refusal(outcome: Outcome, tries_left: int) -> str:
    if outcome is Outcome.WRONG_CODE and tries_left:
        return gettext(
            "That code is not right. Check the email and try again (tries left: %(tries)d)."
        ) % {"tries": tries_left}
    if outcome is Outcome.WRONG_CODE or outcome is Outcome.TOO_MANY_TRIES:
        return gettext(
            "That code has had too many wrong tries and no longer works. Send a new code, "
            "then type the new one."
        )
    if outcome is Outcome.EXPIRED:
        return gettext(
            "That code has expired: a code works for %(minutes)d minutes. Send a new code, "
            "then type the new one."
        ) % {"minutes": settings.ACTIVATION_CODE_MINUTES}
    if outcome is Outcome.EMAIL_TAKEN:
        return gettext(
            "There is now an account with this email. Sign in to it, then add the device to it."
        )
    return gettext("We have not sent you a code yet. Send the code, then type it here.")


@require_POST
@wizard_step("code")
def code_send(request: HttpRequest, activation: Activation) -> HttpResponse:
    """ "Send a new code": the one before stops working."""
    if _send_code(request, activation):
        messages.success(
            request,
            gettext("We sent a new code to %(email)s. The code before no longer works.")
            % {"email": activation_code_recipient(activation)},
        )
        return redirect(step_url("code"))
    form = CodeForm()
    return render(
        request,
        "devices/activate/code.html",
        _code_context(
            activation,
            form,
            send_refused=gettext(
                "You asked for a new code a moment ago. Wait a few minutes, then ask again."
            ),
        ),
        status=429,
    )


@never_cache
def done(request: HttpRequest) -> HttpResponse:
    """ "Your device is active", with its number, for the browser that activated it."""
    activation_id = request.session.get(DONE_SESSION_KEY)
    activation = None
    if activation_id and request.user.is_authenticated:
        activation = (
            Activation.objects.select_related("device")
            .filter(
                pk=activation_id,
                status=ActivationStatus.COMPLETED,
                user_id=request.user.pk,
                device__owner_id=request.user.pk,
            )
            .first()
        )
    if activation is None or activation.device is None:
        return redirect("portal:home")
    device = activation.device
    return render(
        request,
        "devices/activate/done.html",
        {
            "activation": activation,
            "device": device,
            "number": format_phone_number(device.phone_number or ""),
        },
    )
