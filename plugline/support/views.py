"""The customer's side of support: the contact form, "My requests", and a ticket's secret link.

Every ticket a view shows is the signed-in requester's own (404 otherwise) or
the one an emailed secret link opens; the views stay thin (plugline.support.services).
"""

from __future__ import annotations

from allauth.core.ratelimit import respond_429
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from plugline.accounts.models import User
from plugline.support.forms import ContactForm, ReplyForm
from plugline.support.models import Ticket
from plugline.support.ratelimits import rate_limit_consume
from plugline.support.selectors import (
    ticket_get_for_token,
    ticket_get_for_user,
    ticket_messages,
    tickets_for_user,
)
from plugline.support.services import ticket_open, ticket_reply_by_customer


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _too_many() -> str:
    return gettext(
        "You have sent several requests in a short time. Wait a few minutes and send "
        "this one again: what you wrote is still here."
    )


# The answer shows the ticket's reference and the email typed, to a visitor who may
# have no session (which would make the page private): it is never stored.
@never_cache
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    signed_in = request.user.is_authenticated
    form = ContactForm(request.POST or None, signed_in=signed_in)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            key = f"user:{request.user.pk}" if signed_in else data["email"]
            if rate_limit_consume(request, action="support_contact", key=key):
                ticket = ticket_open(
                    subject=data["subject"],
                    body=data["message"],
                    language=translation.get_language() or "",
                    user=_user(request) if signed_in else None,
                    name=data.get("name", ""),
                    email=data.get("email", ""),
                )
                # A requester who is not signed in gets the ticket's link by email only:
                # an agent's answers are shown to whoever proves the address.
                url = (
                    reverse("support:request", kwargs={"reference": ticket.reference})
                    if signed_in
                    else ""
                )
                if _wants_json(request):
                    return JsonResponse({"reference": ticket.reference, "url": url})
                return render(
                    request,
                    "support/contact_sent.html",
                    {"ticket": ticket, "ticket_url": url, "email": ticket.email},
                )
            form.add_error(None, _too_many())
            status = 429
        else:
            status = 400
        if _wants_json(request):
            errors = {
                field: [error["message"] for error in field_errors]
                for field, field_errors in form.errors.get_json_data().items()
            }
            return JsonResponse({"errors": errors}, status=status)
    return render(request, "support/contact.html", {"form": form}, status=status)


@login_required
def requests_list(request: HttpRequest) -> HttpResponse:
    tickets = tickets_for_user(user=_user(request))
    return render(request, "support/requests.html", {"tickets": tickets})


def _thread(
    request: HttpRequest, ticket: Ticket, *, reply_url: str, user: User | None
) -> HttpResponse:
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            pass
        elif not rate_limit_consume(request, action="support_reply", key=ticket.reference):
            form.add_error(None, _too_many())
        else:
            ticket_reply_by_customer(ticket=ticket, body=form.cleaned_data["body"], user=user)
            messages.success(
                request, gettext("Your answer is sent. We will reply by email and here.")
            )
            return redirect(reply_url)
    return render(
        request,
        "support/request.html",
        {
            "ticket": ticket,
            "thread": ticket_messages(ticket=ticket),
            "form": form,
            "reply_url": reply_url,
            "signed_in_view": user is not None,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = ticket_get_for_user(user=user, reference=reference)
    url = reverse("support:request", kwargs={"reference": ticket.reference})
    return _thread(request, ticket, reply_url=url, user=user)


def _link_tries_refused(request: HttpRequest) -> HttpResponse:
    """The answer once an address has tried too many wrong links: a 429 kept out of Django's
    request log, which would write the path, and the path holds the token."""
    response = respond_429(request)
    response._has_been_logged = True  # read by django.utils.log.log_response
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def request_link(request: HttpRequest, token: str) -> HttpResponse:
    # Tokens cannot be guessed; an address trying many anyway is stopped, the right one too.
    if not rate_limit_consume(request, action="support_link_failed", dry_run=True):
        return _link_tries_refused(request)
    ticket = ticket_get_for_token(token=token)
    if ticket is None:
        rate_limit_consume(request, action="support_link_failed")
        # A 200: Django logs the path of every 4xx answer, and the path holds the token.
        return render(request, "support/request_link_over.html")
    url = reverse("support:request_link", kwargs={"token": token})
    return _thread(request, ticket, reply_url=url, user=None)
