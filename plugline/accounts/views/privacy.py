"""Privacy: "Download my data"."""

from __future__ import annotations

import json

from allauth.core.ratelimit import consume_or_429
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plugline.accounts.models import User
from plugline.accounts.services import data_export_create


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
