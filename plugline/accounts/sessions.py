"""allauth's user sessions, bent to Plugline.

Ending sessions goes through our service (audited). Signing in and the list of
signed-in browsers forget ended sessions in one statement, instead of allauth's
reading every session of the account one by one (`UserSession.objects.purge_and_list`):
their cost no longer grows with the account's history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from allauth.core import context
from allauth.core.internal.httpkit import authenticated_user
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from allauth.usersessions.models import UserSession
from allauth.usersessions.views import ListUserSessionsView
from django.http import HttpRequest
from django.utils import timezone

from plugline.accounts.models import User
from plugline.accounts.services import (
    user_sessions_end,
    user_sessions_forget_others,
    user_sessions_prune,
)
from plugline.core.http import client_ip


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Iterable[UserSession]) -> None:
        by_account: dict[int, list[UserSession]] = {}
        for session in sessions:
            by_account.setdefault(session.user_id, []).append(session)
        for own in by_account.values():
            user_sessions_end(user=own[0].user, sessions=own, request=context.request)


# A signed-in browser's last use is written at most this often; sooner when its
# address or browser changes. allauth's own tracking writes on every request.
ACTIVITY_RECORDED_EVERY = timedelta(minutes=5)
# In the session: when its record was last written, and for which key, address and browser.
ACTIVITY_SESSION_KEY = "plugline_activity_recorded"


# What the record keeps of the browser's User-Agent.
_USER_AGENT_LENGTH = UserSession._meta.get_field("user_agent").max_length


def _client_digest(request: HttpRequest) -> str:
    """The session key, address and browser the record holds, as one short digest."""
    session_key = request.session.session_key or ""
    # The address allauth records (plugline.accounts.adapter uses the same function).
    ip = client_ip(request) or ""
    agent = request.META.get("HTTP_USER_AGENT", "")[:_USER_AGENT_LENGTH]
    return hashlib.sha256(f"{session_key}\n{ip}\n{agent}".encode()).hexdigest()[:32]


def _activity_record(request: HttpRequest, user: User) -> None:
    UserSession.objects.create_from_request(request, user=user)
    request.session[ACTIVITY_SESSION_KEY] = [timezone.now().isoformat(), _client_digest(request)]


def user_session_activity_track(request: HttpRequest) -> None:
    """Keep the signed-in browser's record (address, browser, last use) up to date.

    Written when the address, the browser or the session changed, else at most
    every ACTIVITY_RECORDED_EVERY: a page costs no write for it otherwise.
    """
    from allauth.usersessions import app_settings

    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if not app_settings.TRACK_ACTIVITY or session is None or not session.session_key:
        return
    if user is None or not user.is_authenticated or not isinstance(user, User):
        return
    recorded = session.get(ACTIVITY_SESSION_KEY)
    if isinstance(recorded, list) and len(recorded) == 2:
        try:
            at = datetime.fromisoformat(str(recorded[0]))
        except ValueError:
            at = None
        if (
            at is not None
            and timezone.now() - at < ACTIVITY_RECORDED_EVERY
            and recorded[1] == _client_digest(request)
        ):
            return
    _activity_record(request, user)


def on_user_logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Record the browser that signed in, after forgetting the account's ended sessions."""
    user_sessions_prune(user=user)
    _activity_record(request, user)


def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """The other browsers are signed out; this one (its session renewed) stays listed."""
    session = getattr(request, "session", None)
    keep = session.session_key if session is not None else None
    user_sessions_forget_others(user=user, keep=keep)
    if keep and request.user.is_authenticated:
        _activity_record(request, user)


def on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Every browser signed in before the reset is signed out by it."""
    user_sessions_forget_others(user=user, keep=None)


class UserSessionsListView(ListUserSessionsView):
    """allauth's list of signed-in browsers, its ended sessions forgotten in one statement."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = authenticated_user(self.request)
        user_sessions_prune(user=user)
        # allauth's context, then the list read in one query.
        context_data = super(ListUserSessionsView, self).get_context_data(**kwargs)
        sessions = list(UserSession.objects.filter(user=user).order_by("created_at", "pk"))
        # Latest used first, this browser (used now, its record written every few
        # minutes only) before all.
        sessions.sort(key=lambda session: session.last_seen_at, reverse=True)
        sessions.sort(key=lambda session: not session.is_current())
        context_data["sessions"] = sessions
        context_data["session_count"] = len(sessions)
        context_data["show_last_seen_at"] = _track_activity()
        return context_data


def _track_activity() -> bool:
    from allauth.usersessions import app_settings

    return bool(app_settings.TRACK_ACTIVITY)


user_sessions_list = UserSessionsListView.as_view()
