"""allauth's user sessions, bent to Plugline: ending sessions goes through our service (audited)."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.core import context
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from allauth.usersessions.models import UserSession

from plugline.accounts.services import user_sessions_end


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Iterable[UserSession]) -> None:
        by_account: dict[int, list[UserSession]] = {}
        for session in sessions:
            by_account.setdefault(session.user_id, []).append(session)
        for own in by_account.values():
            user_sessions_end(user=own[0].user, sessions=own, request=context.request)
