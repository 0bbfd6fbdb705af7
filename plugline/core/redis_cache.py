"""Django's Redis cache, with one client kept per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around the
pool on every cache call, which costs more than a short command's own work on
a signed-in page (two or three calls a request). A `redis.Redis` is safe to
share between threads: each command takes a connection from the pool and gives
it back, so one is kept per pool and reused.

Keys are not checked against memcached's rules (250 characters, no spaces or
control characters): Django's base cache warns about such keys for portability
to memcached, a check made character by character in Python on every key of
every call, and Redis keys may hold any bytes.

Values are Django's too (integers stored as themselves, anything else
pickled), read without trying each pickle as an integer first: Django's
serializer calls `int()` on every value and unpickles it once that raised,
an exception raised and caught for each of the five values a signed-in page
reads. Everything else (keys, pools, options) is Django's.
"""

from __future__ import annotations

import pickle
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.core.cache.backends.redis import RedisSerializer as DjangoRedisSerializer

# How every pickle of protocol 2 or later begins (Django pickles with the highest).
_PICKLE_START: bytes = pickle.PROTO


class RedisSerializer(DjangoRedisSerializer):
    """Django's, unpickling a pickle at once; anything else (an integer, a pickle of an
    older protocol) is read by Django's own `loads`."""

    def loads(self, data: Any) -> Any:
        if isinstance(data, bytes) and data.startswith(_PICKLE_START):
            return pickle.loads(data)  # noqa: S301 (the cache's own values, as Django's)
        return super().loads(data)


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, servers: Any, serializer: Any = None, **kwargs: Any) -> None:
        # OPTIONS["serializer"] still chooses another one.
        super().__init__(servers, serializer=serializer or RedisSerializer, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own helpers, which its stubs leave out.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            # Two threads may both make one here: either is right, one is kept.
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def validate_key(self, key: str) -> None:
        """Any key Redis takes: memcached's limits are not Redis's."""
