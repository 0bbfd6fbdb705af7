"""A signed-in subscriber sees the portal in the language and time zone stored on their account;
a browser that signs in is given the id that tells it apart from others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject, empty

from plugline.accounts.browsers import browser_id_read, browser_id_set_cookie
from plugline.accounts.session_store import SessionStore
from plugline.core.account_pages import account_read_ahead, account_user
from plugline.core.time_zones import is_time_zone, time_zone_get


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with the signed-in user read from the cache of the account's pages
    (plugline.core.account_pages.account_user) rather than the database on each request.

    The session is still checked against the user's password hash as Django does:
    a changed password signs the other browsers out, and a user saved as inactive
    is signed out at once (a save makes the user be read again).

    The browser keeps the signed-in account's id in a cookie, the account hint:
    with it the session and the account are read from the cache in one round
    trip (plugline.accounts.session_store). The session alone says who is
    signed in; a hint that does not match it is only a wasted read, and is
    corrected on the answer.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        lazy = SimpleLazyObject(lambda: _request_user_in_place(request, lazy))
        request.user = lazy  # type: ignore[assignment]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        _account_hint_set_cookie(request, response)
        return response


# The signed-in account's id, kept by the browser to read its session and its
# account together (see AuthenticationMiddleware).
ACCOUNT_HINT_COOKIE_NAME = "plugline_account"


def _account_hint(request: HttpRequest) -> int | None:
    value = request.COOKIES.get(ACCOUNT_HINT_COOKIE_NAME, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _account_hint_set_cookie(request: HttpRequest, response: HttpResponse) -> None:
    """Set the hint to the account signed in, or delete it once no one is; only when
    the request looked at its user (a page that did not is left as it was)."""
    user = request.__dict__.get("user")
    if user is None:
        return
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:  # type: ignore[attr-defined]
        return
    hint = request.COOKIES.get(ACCOUNT_HINT_COOKIE_NAME)
    if not user.is_authenticated:
        if hint is not None:
            response.delete_cookie(ACCOUNT_HINT_COOKIE_NAME, samesite="Lax")
        return
    if hint != str(user.pk):
        response.set_cookie(
            ACCOUNT_HINT_COOKIE_NAME,
            str(user.pk),
            max_age=settings.SESSION_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def _request_user_in_place(request: HttpRequest, lazy: SimpleLazyObject) -> Any:
    """The request's user, read once; from then on the request holds the user itself
    rather than the lazy stand-in, each of whose attribute reads is a call."""
    user = _request_user(request)
    if request.__dict__.get("user") is lazy:
        request.user = user
    return user


def _request_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = _session_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


def _session_user(request: HttpRequest) -> Any:
    """django.contrib.auth.get_user, with the user read through account_user."""
    session = request.session
    hint = _account_hint(request)
    found = None
    if hint is not None and isinstance(session, SessionStore):
        session_key = session.read_ahead_key()
        if session_key is not None:
            found = account_read_ahead(hint, request=request, also=session_key)
            session.read_ahead(found.get(session_key))
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    backend = load_backend(backend_path)
    user = account_user(
        user_id,
        lambda: backend.get_user(user_id),
        request=request,
        found=found if user_id == hint else None,
    )
    if user is None:
        return AnonymousUser()
    session_hash = session.get(HASH_SESSION_KEY)
    session_auth_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, session_auth_hash):
        return user
    # Signed with a previous SECRET_KEY (SECRET_KEY_FALLBACKS): kept, with the current one.
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[HASH_SESSION_KEY] = session_auth_hash
        return user
    session.flush()
    return AnonymousUser()


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language and language != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Dates and times on the page are shown in the signed-in user's time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = getattr(user, "time_zone", "") if user and user.is_authenticated else ""
        # The default zone is active already; an unknown name keeps it too.
        if not name or name == settings.TIME_ZONE or not is_time_zone(name):
            return self.get_response(request)
        # override(), not activate(): the zone must not outlive this request
        # in a thread that serves someone else next.
        with timezone.override(time_zone_get(name)):
            return self.get_response(request)


class BrowserIdMiddleware:
    """Reads the browser's id cookie when someone signs in, and sets it on the response.

    See plugline.accounts.browsers: the id is what the new-browser alert
    compares; it is made and set only when someone signs in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        browser_id_read(request)
        response = self.get_response(request)
        browser_id_set_cookie(request, response)
        return response


class UserSessionActivityMiddleware:
    """allauth's user-sessions middleware, writing a browser's last use every few minutes
    rather than on every request (plugline.accounts.sessions.user_session_activity_track)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from plugline.accounts.sessions import user_session_activity_track

        user_session_activity_track(request)
        return self.get_response(request)
