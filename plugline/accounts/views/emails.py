"""The Emails page: allauth's email management, with Plugline's rules shown on it.

allauth does the work (add, send the link again, make preferred, remove;
its adapter hooks apply Plugline's rules); this view adds what the page
shows: which email is preferred, which is the original and why it stays,
and a word when a link is not sent again because one was sent moments ago.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.email_verification import (
    consume_email_verification_rate_limit,
)
from allauth.account.views import EmailView
from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from plugline.accounts.selectors import user_email_list


def _link_recently_sent(request: HttpRequest, email: str) -> None:
    messages.info(
        request,
        _(
            "We sent a link to %(email)s a few minutes ago, and it still works: look for it "
            "in that mailbox, spam folder included. You can ask for a new one in a few minutes."
        )
        % {"email": email},
    )


class EmailsView(EmailView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["emails"] = user_email_list(user=self.request.user)
        context["max_emails"] = settings.ACCOUNT_MAX_EMAIL_ADDRESSES
        return context

    def form_valid(self, form: Form) -> HttpResponse:
        email = form.cleaned_data["email"]
        will_send = consume_email_verification_rate_limit(self.request, email, dry_run=True)
        response = super().form_valid(form)
        if not will_send:
            # Removed and added again within minutes: allauth sends no new link.
            _link_recently_sent(self.request, email)
        return response

    def _action_send(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = super()._action_send(request, *args, **kwargs)
        address = self._get_email_address(request)
        if address is not None and not address.verified and not self._did_send_verification_email:
            _link_recently_sent(request, address.email)
        return response


email = EmailsView.as_view()
