"""Response headers: the Content-Security-Policy, and keeping a person's pages out of caches.

A page shown to a signed-in person, or to a visitor whose session holds a
flow of theirs (the activation wizard, the renew-without-signing-in
checkout, a sign-in waiting for its second factor), shows that person's
data: a profile, a device's E911 address, an invoice. Such a response must
not stay in a shared computer's disk cache, nor in a proxy: it gets
`Cache-Control: private, no-store`.

The Content-Security-Policy is django-csp's (CONTENT_SECURITY_POLICY in
settings.py), with the device agent's address added when each response is
made, so that it follows DEVICE_AGENT_PORT. The Permissions-Policy is
django-permissions-policy's.
"""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware; the pages may also reach the device agent on 127.0.0.1.

    The activation page asks the agent (plugline-device) on this computer
    for the device's serial and signature (static/devices/detect.js).
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        agent = f"http://127.0.0.1:{settings.DEVICE_AGENT_PORT}"
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), agent]
        parts.update = update
        return parts
