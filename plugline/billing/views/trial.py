"""The free trial's pages: "Start Trial", its sign-up (step 2 of its wizard), the card's return.

The wizard is devices' activation wizard with its `trial` flag set; its
step 2 here asks for the plan the trial becomes and a card, typed on the
gateway's own page (Plugline's pages never receive a card number) in a
session that checks the card without charging it.
"""

from __future__ import annotations

from datetime import timedelta

from allauth.core.internal.ratelimit import consume
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plugline.billing.gateways.base import GatewayError
from plugline.billing.trials import (
    CardOutcome,
    activation_trial_begin,
    activation_trial_end,
    device_had_trial,
    trial_card_from_session,
    trial_card_session_start,
    trial_plan_for,
    trial_plan_set,
    trial_plans,
)
from plugline.core.money import money_format
from plugline.devices.models import Activation
from plugline.devices.wizard.state import (
    TRIAL_PARAMETER,
    activation_for_request,
    device_sold_online,
)
from plugline.devices.wizard.steps import wizard_step

# "amount/period/per": per wizard ("key") and per client address ("ip").
TRIAL_RATE_LIMITS = {"trial_card": "5/15m/key,20/h/ip"}


class TrialPlanForm(forms.Form):
    plan = forms.ChoiceField(label=_("After the trial"), widget=forms.RadioSelect)

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["plan"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.error_messages["required"] = _("Choose the plan your trial becomes.")


@never_cache
def start(request: HttpRequest) -> HttpResponse:
    """ "Start Trial" on the sign-in page: the activation wizard, as a free trial.

    A browser with a wizard under way turns it into a trial; any other is
    sent to step 1 with `?trial=1`, and its wizard is made (as a trial's) by
    step 1's first answer: a visit alone writes nothing.
    """
    activation = activation_for_request(request)
    if activation is None:
        return redirect(f"{reverse('devices:activate_detect')}?{TRIAL_PARAMETER}=1")
    activation_trial_begin(activation=activation)
    return redirect("devices:activate_detect")


def _plan_choices() -> list[tuple[str, str]]:
    return [
        (
            plan.code,
            gettext("%(plan)s: %(price)s")
            % {
                "plan": plan.display_name(),
                "price": money_format(amount, settings.BILLING_CURRENCY),
            },
        )
        for plan, amount in trial_plans()
    ]


def _refusal(request: HttpRequest, activation: Activation) -> str:
    """Why this wizard cannot have a free trial ("" if it can)."""
    device = activation.device
    assert device is not None  # step 1 is done
    if request.user.is_authenticated or activation.user_id is not None:
        return gettext(
            "The free trial is for new accounts. To add this device to your account, "
            "use Activate instead."
        )
    if device_had_trial(device):
        return gettext("This device has already had a free trial. Activate it to renew it.")
    if device_sold_online(device):
        return gettext(
            "This device was ordered on our website: activate it with the email of its order."
        )
    return ""


@wizard_step("purchase")
def signup(request: HttpRequest, activation: Activation) -> HttpResponse:
    """Step 2 of a free trial: the plan it becomes and the card, checked, not charged."""
    if not activation.trial:
        return redirect("devices:activate_purchase")
    refusal = _refusal(request, activation)
    plan = trial_plan_for(activation)
    choices = _plan_choices()
    initial = {"plan": plan.code if plan else (choices[0][0] if len(choices) == 1 else "")}
    form = TrialPlanForm(
        request.POST if request.method == "POST" and not refusal else None,
        initial=initial,
        choices=choices,
    )
    signup_data = activation.trial_signup
    has_card = bool(activation.trial_card_fingerprint and signup_data.get("token"))
    status = 200
    if form.is_bound and form.is_valid():
        chosen = next(p for p, _amount in trial_plans() if p.code == form.cleaned_data["plan"])
        trial_plan_set(activation=activation, plan=chosen)
        if has_card and request.POST.get("action") != "card":
            return redirect("devices:activate_account")
        if (
            consume(
                request,
                app="plugline.billing.trial",
                action="trial_card",
                config=TRIAL_RATE_LIMITS,
                key=str(activation.pk),
                limit_get=True,
            )
            is None
        ):
            form.add_error(
                None, gettext("Too many tries with a card. Wait 15 minutes, then try again.")
            )
            status = 429
        else:
            try:
                url = trial_card_session_start(
                    activation=activation,
                    return_url=request.build_absolute_uri(reverse("trial:card_added")),
                )
            except GatewayError:
                form.add_error(
                    None,
                    gettext("The card page cannot be reached just now. Try again in a minute."),
                )
                status = 503
            else:
                return HttpResponseRedirect(url)
    ends_on = timezone.now() + timedelta(days=settings.TRIAL_DAYS)
    return render(
        request,
        "billing/trial/signup.html",
        {
            "activation": activation,
            "device": activation.device,
            "wizard_step": "purchase",
            "form": form,
            "refusal": refusal,
            "has_card": has_card,
            "card_brand": signup_data.get("brand", ""),
            "card_last4": signup_data.get("last4", ""),
            "days": settings.TRIAL_DAYS,
            "ends_on": ends_on,
        },
        status=status,
    )


@require_POST
@wizard_step("purchase")
def without_trial(request: HttpRequest, activation: Activation) -> HttpResponse:
    """ "Activate without a trial": the wizard's step 2 is where the device was bought again."""
    activation_trial_end(activation=activation)
    return redirect("devices:activate_purchase")


@never_cache
@wizard_step("purchase")
def card_added(request: HttpRequest, activation: Activation) -> HttpResponse:
    """Back from the gateway's card page (checked, refused or cancelled there)."""
    session_id = request.GET.get("session", "")[:100]
    if not session_id or not activation.trial:
        return redirect("trial:signup")
    try:
        outcome = trial_card_from_session(activation=activation, session_id=session_id)
    except GatewayError:
        messages.error(
            request, gettext("The card page cannot be reached just now. Try again in a minute.")
        )
        return redirect("trial:signup")
    if outcome is CardOutcome.HAD_TRIAL:
        messages.error(
            request,
            gettext("This card has already had a free trial. Use another card."),
        )
    elif outcome is CardOutcome.FAILED:
        messages.error(
            request,
            gettext(
                "Your card was not saved. If it was refused, try another one or contact your bank."
            ),
        )
    else:
        messages.success(request, gettext("Your card is checked and saved for the trial."))
    return redirect("trial:signup")
