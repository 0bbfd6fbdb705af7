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
from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
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


# What a view may set on its response to change its policy (django-csp's decorators).
_PER_RESPONSE_POLICY = tuple(
    f"_csp_{part}{suffix}"
    for part in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware; the pages may also reach the device agent on 127.0.0.1.

    The activation page asks the agent (plugline-device) on this computer
    for the device's serial and signature (static/devices/detect.js).

    A response whose view changed nothing of the policy and that used no nonce
    gets the same headers as every other such response: they are built once
    (until the settings change), not for each response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)
        self._plain_headers: dict[str, str] | None = None
        setting_changed.connect(self._forget_plain, weak=True)

    def _forget_plain(self, **kwargs: object) -> None:
        self._plain_headers = None

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE_POLICY)
            or any(header in response for header in (HEADER, HEADER_REPORT_ONLY))
        ):
            return super().process_response(request, response)
        if self._plain_headers is None:
            # Built as django-csp builds them, for a response no view changed.
            plain = HttpResponse()
            policies = {
                HEADER: build_policy(**asdict(self.get_policy_parts(request, plain))),
                HEADER_REPORT_ONLY: build_policy(
                    **asdict(self.get_policy_parts(request, plain, report_only=True)),
                    report_only=True,
                ),
            }
            self._plain_headers = {header: policy for header, policy in policies.items() if policy}
        for header, policy in self._plain_headers.items():
            setting = "CONTENT_SECURITY_POLICY" + ("_REPORT_ONLY" if header != HEADER else "")
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

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
