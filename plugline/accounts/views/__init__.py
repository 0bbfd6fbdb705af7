"""Views of the Account area; each part of it has a module here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from plugline.accounts.services import LANGUAGE_CHOSEN_SESSION_KEY, user_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers the choice on the account.

    A choice made before signing in is kept in the session, and saved on the
    account when this browser signs in (see accounts.signals).
    """
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if not language or not check_for_language(language):
        return response
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language, request=request)
    else:
        request.session[LANGUAGE_CHOSEN_SESSION_KEY] = language
    return response


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    """The "Account" tab: emails, profile, security and privacy."""
    return render(request, "accounts/home.html")
