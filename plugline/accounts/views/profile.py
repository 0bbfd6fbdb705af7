"""Profile: name, contact address, language and time zone."""

from __future__ import annotations

from typing import Literal, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext

from plugline.accounts.forms import ProfileForm
from plugline.accounts.models import User
from plugline.accounts.services import user_profile_update


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The Profile page; a mistake shows the page again with everything as typed."""
    user = _user(request)
    form = ProfileForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            changed = user_profile_update(
                user=user, profile=form.profile(), language=language, request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Said in the language the next page is shown in.
            with translation.override(user.language):
                saved = (
                    gettext("Your profile is saved.") if changed else gettext("Nothing changed.")
                )
            messages.success(request, saved)
            response = redirect("accounts:profile")
            if "language" in changed:
                _remember_language(response, user.language)
            return response
    return render(request, "accounts/profile.html", {"form": form})


def _remember_language(response: HttpResponse, language: str) -> None:
    """The language cookie, as the language switch sets it: it outlasts the session."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE),
    )
