"""Authentication by "email or phone number" and password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from plugline.accounts.identifiers import parse_identifier, user_for_identifier
from plugline.accounts.models import User


class IdentifierBackend(ModelBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        identifier: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if identifier is None or not password:
            return None
        user = user_for_identifier(parse_identifier(identifier))
        if user is None:
            # Hash anyway, so that an unknown identifier takes as long to
            # refuse as a known one with a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
