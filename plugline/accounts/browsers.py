"""Telling browsers apart, for the email alert on a sign-in from a new browser.

A browser that signs in gets a long-lived signed cookie holding a random id
(set by BrowserIdMiddleware on the response). The account remembers a
hash of each id it has seen (KnownBrowser); a sign-in with an id it has not
seen, on an account that has signed in before, is a new browser.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

BROWSER_COOKIE_NAME = "plugline_browser"
_COOKIE_SALT = "plugline.accounts.browsers.cookie"
# About as long as browsers keep a cookie (Chrome caps it at 400 days); every
# sign-in sets it again, so a browser in use stays known.
BROWSER_COOKIE_AGE = 400 * 24 * 60 * 60

# Attributes on the request: the id the cookie carried (None: no valid one;
# _UNREAD: its signature not checked yet), and the id to set in the response's cookie.
_SEEN = "_plugline_browser_id"
_ISSUE = "_plugline_browser_id_issue"
_UNREAD = object()


def browser_id_read(request: HttpRequest) -> None:
    """Note that the request came through BrowserIdMiddleware.

    The cookie's signature is checked only when a sign-in asks for the id
    (`browser_id_for_sign_in`), not on every page.
    """
    setattr(request, _SEEN, _UNREAD)


def _browser_id_seen(request: HttpRequest) -> str | None:
    """The browser's id from its cookie (a forged or old cookie counts as none)."""
    seen = getattr(request, _SEEN)
    if seen is not _UNREAD:
        return seen if isinstance(seen, str) and seen else None
    browser_id = request.get_signed_cookie(
        BROWSER_COOKIE_NAME, default=None, salt=_COOKIE_SALT, max_age=BROWSER_COOKIE_AGE
    )
    setattr(request, _SEEN, browser_id or None)
    return browser_id or None


def browser_id_set_cookie(request: HttpRequest, response: HttpResponseBase) -> None:
    """Give the browser its id (again) if this request signed in."""
    browser_id = getattr(request, _ISSUE, None)
    if not browser_id:
        return
    response.set_signed_cookie(
        BROWSER_COOKIE_NAME,
        browser_id,
        salt=_COOKIE_SALT,
        max_age=BROWSER_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def browser_id_for_sign_in(request: HttpRequest | None) -> str | None:
    """This browser's id, made now if it has none; None outside a browser's request.

    A sign-in that did not come through BrowserIdMiddleware (a test's
    force_login, a shell) has no browser to remember.
    """
    if request is None or not hasattr(request, _SEEN):
        return None
    browser_id = _browser_id_seen(request) or secrets.token_urlsafe(24)
    setattr(request, _SEEN, browser_id)
    setattr(request, _ISSUE, browser_id)
    return browser_id


def browser_hash(browser_id: str) -> str:
    """What the database keeps of a browser id.

    The id is 192 random bits, so a plain SHA-256 cannot be reversed; unlike
    a hash keyed with SECRET_KEY it survives a key rotation (which would
    otherwise make every browser "new" and alert every subscriber at once).
    """
    return hashlib.sha256(browser_id.encode()).hexdigest()
