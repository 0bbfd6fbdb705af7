""" "Renew without signing in": ask for a one-time link to checkout, then open it.

The answer never says whether an account exists (like "Forgot password?"),
and asking is rate-limited per client and per identifier. Opening the link
shows a button (email scanners follow links; only a person's POST uses it).
"""

from __future__ import annotations

from allauth.core.ratelimit import consume_or_429
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from plugline.accounts.identifiers import parse_identifier, user_for_identifier
from plugline.billing.checkout import checkout_grant, renew_link_send, renew_link_use
from plugline.billing.checkout_forms import RenewLinkForm


@never_cache
@require_http_methods(["GET", "POST"])
def renew_link_request(request: HttpRequest) -> HttpResponse:
    form = RenewLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = parse_identifier(form.cleaned_data["email"])
        key = identifier.value or form.cleaned_data["email"].strip().lower()
        limited = consume_or_429(request, action="renew_link", key=key)
        if limited is not None:
            return limited
        user = user_for_identifier(identifier)
        if user is not None:
            renew_link_send(user=user, request=request)
        return redirect("checkout:renew_link_sent")
    return render(request, "billing/renew_link.html", {"form": form})


def renew_link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/renew_link_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def renew_link_open(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        user = renew_link_use(token=token)
        if user is None:
            # A 200: Django logs the path of every 4xx answer, and the path holds the token.
            return render(request, "billing/renew_link_over.html")
        if request.user.is_authenticated and request.user.pk != user.pk:
            return render(request, "billing/renew_link_over.html")
        checkout_grant(request=request, user=user)
        return redirect("checkout:renew")
    return render(request, "billing/renew_link_open.html")
