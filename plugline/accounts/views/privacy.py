"""Privacy: "Download my data" and "Close my account"."""

from __future__ import annotations

import json

from allauth.core.ratelimit import consume_or_429
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plugline.accounts.forms import AccountCloseForm
from plugline.accounts.models import User
from plugline.accounts.services import account_close, data_export_create


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    """What Plugline holds about the account: download it, or close the account."""
    return render(request, "accounts/privacy.html")


@login_required
@require_POST
@never_cache
def data_export(request: HttpRequest) -> HttpResponse:
    """The account's data as a JSON file; a POST, so that a link cannot trigger it."""
    limited = consume_or_429(request, action="data_export", user=request.user)
    if limited is not None:
        return limited
    export = data_export_create(user=_user(request), request=request)
    filename = f"{slugify(settings.BRAND_NAME) or 'plugline'}-data-{timezone.now():%Y-%m-%d}.json"
    response = HttpResponse(
        json.dumps(export, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def close(request: HttpRequest) -> HttpResponse:
    """ "Close my account", after the password and a tick; mistakes keep the page."""
    user = _user(request)
    form = AccountCloseForm(request.POST or None, user=user)
    if request.method == "POST":
        limited = consume_or_429(request, action="close_account", user=user)
        if limited is not None:
            return limited
        if form.is_valid():
            account_close(user=user, request=request)
            # The account is gone: forget this browser's session without the
            # sign-out signal, which would log a sign-out for a deleted user.
            request.session.flush()
            request.user = AnonymousUser()
            return redirect("accounts:closed")
    return render(request, "accounts/close.html", {"form": form})


def closed(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/closed.html")
