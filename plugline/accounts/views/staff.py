"""The back office's own sign-in and password pages, which send staff to the portal's.

Staff sign in the way everyone does (allauth: two-factor, rate limits, the
audit log, locks), never with a password alone on the admin's login form:
`/admin/login/` checks nothing and sends the browser to the sign-in page,
keeping where it was going (the admin by default), so that after the
password and the two-factor code a staff member lands in the admin.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from plugline.accounts.staff_access import staff_console_refusal


def _next_url(request: HttpRequest) -> str:
    """Where the browser was going, if it is on this site; else the admin's index."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("admin:index")


@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's login page: checks no password, sends to the portal's sign-in."""
    next_url = _next_url(request)
    user = request.user
    if user.is_authenticated:
        if user.is_active and user.is_staff:
            # Staff whose session did not use two-factor turn it on or give a
            # code first, then come back here (the admin asks for it too).
            refusal = staff_console_refusal(request)
            return refusal if refusal is not None else HttpResponseRedirect(next_url)
        # Signed in, but not staff: the sign-in page would send them straight
        # back here (it redirects signed-in visitors), so say why instead.
        messages.error(request, _("Your account cannot open the back office."))
        return redirect("portal:home")
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


@never_cache
def admin_password_change(request: HttpRequest) -> HttpResponse:
    """The admin's "Change password": the portal's, with its limits, audit and notices."""
    return redirect("account_change_password")
