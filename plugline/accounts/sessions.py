"""allauth's user sessions, bent to Plugline.

Ending sessions goes through our service (audited). Signing in and the list of
signed-in browsers forget ended sessions in one statement, instead of allauth's
reading every session of the account one by one (`UserSession.objects.purge_and_list`):
their cost no longer grows with the account's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from allauth.core import context
from allauth.core.internal.httpkit import authenticated_user
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from allauth.usersessions.models import UserSession
from allauth.usersessions.views import ListUserSessionsView
from django.http import HttpRequest

from plugline.accounts.models import User
from plugline.accounts.services import (
    user_sessions_end,
    user_sessions_forget_others,
    user_sessions_prune,
)


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Iterable[UserSession]) -> None:
        by_account: dict[int, list[UserSession]] = {}
        for session in sessions:
            by_account.setdefault(session.user_id, []).append(session)
        for own in by_account.values():
            user_sessions_end(user=own[0].user, sessions=own, request=context.request)


def on_user_logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Record the browser that signed in, after forgetting the account's ended sessions."""
    user_sessions_prune(user=user)
    UserSession.objects.create_from_request(request, user=user)


def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """The other browsers are signed out; this one (its session renewed) stays listed."""
    session = getattr(request, "session", None)
    keep = session.session_key if session is not None else None
    user_sessions_forget_others(user=user, keep=keep)
    if keep and request.user.is_authenticated:
        UserSession.objects.create_from_request(request, user=user)


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
        context_data["sessions"] = sessions
        context_data["session_count"] = len(sessions)
        context_data["show_last_seen_at"] = _track_activity()
        return context_data


def _track_activity() -> bool:
    from allauth.usersessions import app_settings

    return bool(app_settings.TRACK_ACTIVITY)


user_sessions_list = UserSessionsListView.as_view()
