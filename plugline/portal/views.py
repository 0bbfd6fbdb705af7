"""The subscriber's pages that combine domains."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plugline.devices.selectors import device_list_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """ "My account": the account's devices and their numbers."""
    devices = list(device_list_for_user(user=request.user))  # type: ignore[arg-type]
    return render(request, "portal/home.html", {"devices": devices})
