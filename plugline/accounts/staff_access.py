"""The staff consoles' door: staff, signed in with two-factor, with the role's permissions.

Every page of the back office, the chat console and the ticket desk is behind
`staff_required`. A staff member's session opens them only if it was signed in
with a second factor (allauth records each sign-in step in the session): a
staff account without two-factor is sent to turn it on, and one whose session
began before it was turned on is asked for a code. What a staff member may do
is a Django permission, granted through the role groups.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

View = TypeVar("View", bound=Callable[..., HttpResponse])


def staff_signed_in_with_two_factor(request: HttpRequest) -> bool:
    """Whether this session's sign-in included a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def staff_console_refusal(request: HttpRequest, *permissions: str) -> HttpResponse | None:
    """Why this request may not open a staff console page (a response), or None if it may."""
    user = request.user
    here = request.get_full_path()
    if not user.is_authenticated:
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': here})}")
    if not (user.is_active and user.is_staff):
        raise PermissionDenied
    if not is_mfa_enabled(user):
        messages.warning(
            request, _("Turn on two-factor sign-in to open the staff pages."), fail_silently=True
        )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
    if not staff_signed_in_with_two_factor(request):
        return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': here})}")
    if permissions and not user.has_perms(permissions):
        raise PermissionDenied
    return None


def staff_required(*permissions: str) -> Callable[[View], View]:
    """A view of a staff console, for staff signed in with two-factor holding `permissions`."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = staff_console_refusal(request, *permissions)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorate
