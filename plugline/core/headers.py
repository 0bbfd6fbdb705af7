"""Response headers that keep a person's pages out of caches.

A page shown to a signed-in person, or to a visitor whose session holds a
flow of theirs (the activation wizard, the renew-without-signing-in
checkout, a sign-in waiting for its second factor), shows that person's
data: a profile, a device's E911 address, an invoice. Such a response must
not stay in a shared computer's disk cache, nor in a proxy: it gets
`Cache-Control: private, no-store`. The Content-Security-Policy and
Permissions-Policy headers come from django-csp and
django-permissions-policy (see settings.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control


def holds_personal_data(request: HttpRequest) -> bool:
    """Whether the response to `request` may show one person's data."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    # Anonymous visitors get a session only when a flow of theirs needs one.
    session = getattr(request, "session", None)
    return session is not None and bool(session.keys())


class PrivatePagesMiddleware:
    """`Cache-Control: private, no-store` on every response that may show personal data.

    A view that already forbids storing (`never_cache`, `no-store`) keeps its
    own header; anything looser (no header, `public`, a `max-age`) is made
    private and not storable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if holds_personal_data(request) and not _forbids_storing(response):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _forbids_storing(response: HttpResponseBase) -> bool:
    directives = {
        part.split("=", 1)[0].strip().lower()
        for part in response.get("Cache-Control", "").split(",")
    }
    return {"private", "no-store"} <= directives
