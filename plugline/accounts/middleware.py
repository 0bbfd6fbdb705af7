"""A signed-in subscriber sees the portal in the language and time zone stored on their account;
a browser that signs in is given the id that tells it apart from others."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from plugline.accounts.browsers import browser_id_read, browser_id_set_cookie
from plugline.core.time_zones import is_time_zone, time_zone_get


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
    """Reads the browser's id cookie, and sets it on the response of a sign-in.

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
