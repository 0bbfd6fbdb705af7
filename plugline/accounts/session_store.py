"""Django's cached_db sessions (Redis in front of the database table), whose cache read
can be made ahead, in the same round trip as the signed-in account's.

A signed-in request needs its session (which account), then the account's user
and kept page (plugline.core.account_pages): two round trips to Redis, the
second waiting on the first. The browser's account hint (the account's id, in
a cookie set at sign-in, plugline.accounts.middleware) lets both be read at
once. The hint is never trusted: the session read alongside says whose it is,
and a hint that does not match it only costs the second round trip.

Used when the sessions are kept in the cache of the account's pages
(SESSION_CACHE_ALIAS = plugline.core.account_pages.CACHE_ALIAS); otherwise a
plain cached_db session. Sessions are still written to the database too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

from plugline.core.account_pages import CACHE_ALIAS

# Nothing was read ahead (unlike a read that found nothing: None).
_NOT_READ = object()


class SessionStore(CachedDbSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._read_ahead: Any = _NOT_READ

    def read_ahead_key(self) -> str | None:
        """The key to read from the pages' cache with the account's, or None when this
        session is loaded already, has no key, or is kept in another cache."""
        if (
            self.session_key is None
            or hasattr(self, "_session_cache")
            or settings.SESSION_CACHE_ALIAS != CACHE_ALIAS
        ):
            return None
        return self.cache_key

    def read_ahead(self, data: object) -> None:
        """What the cache held under read_ahead_key(), read by the caller."""
        self._read_ahead = data

    def load(self) -> dict[str, Any]:
        data, self._read_ahead = self._read_ahead, _NOT_READ
        if isinstance(data, dict):
            return data
        # Not read ahead, or not in the cache: Django's (the cache, then the database).
        loaded: dict[str, Any] = super().load()
        return loaded
