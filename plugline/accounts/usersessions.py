"""allauth's user sessions app, listed in INSTALLED_APPS in its place with Plugline's receivers.

Its own module: `plugline.accounts.apps` keeps a single app configuration.
"""

from __future__ import annotations

from allauth.usersessions.apps import UserSessionsConfig as AllauthUserSessionsConfig


class UserSessionsConfig(AllauthUserSessionsConfig):
    """allauth's user sessions (listed in INSTALLED_APPS in its place), with Plugline's
    receivers: signing in forgets ended sessions in one statement, whatever their number,
    and a password change or reset forgets the browsers it signed out."""

    def ready(self) -> None:
        from allauth.account.signals import (
            password_changed,
            password_reset,
            password_set,
            user_logged_in,
        )

        from plugline.accounts import sessions

        user_logged_in.connect(receiver=sessions.on_user_logged_in)
        for signal in (password_set, password_changed):
            signal.connect(receiver=sessions.on_password_changed)
        password_reset.connect(receiver=sessions.on_password_reset)
