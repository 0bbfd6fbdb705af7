"""Redis answers (sessions, the signed-in user, the kept pages: several on every request)
are parsed by hiredis, in C, rather than by redis-py's pure-Python parser."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache
from redis._parsers import _HiredisParser


def test_it_parses_redis_answers_with_hiredis() -> None:
    cache = RedisCache("redis://127.0.0.1:6379/0", {})
    client = cache._cache  # type: ignore[attr-defined]  # Django's RedisCacheClient
    assert client._pool_options["parser_class"] is _HiredisParser


def test_it_keeps_one_redis_client_for_every_cache_call() -> None:
    from plugline.core.redis_cache import RedisCache as KeptClientRedisCache

    cache = KeptClientRedisCache("redis://127.0.0.1:6379/0", {})
    client = cache._cache  # type: ignore[attr-defined]
    assert client.get_client("a") is client.get_client("b", write=True)
    assert client._pool_options["parser_class"] is _HiredisParser


def test_it_takes_keys_memcached_would_not_without_checking_each_character() -> None:
    import warnings

    from django.core.cache.backends.base import CacheKeyWarning

    from plugline.core.redis_cache import RedisCache as KeptClientRedisCache

    key = "page:7:/account/ with a space:" + "x" * 300
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        made = KeptClientRedisCache("redis://127.0.0.1:6379/0", {}).make_and_validate_key(key)
    assert made.endswith(key)
    # Django's own Redis cache warns about the same key, memcached's rules.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CacheKeyWarning)
        RedisCache("redis://127.0.0.1:6379/0", {}).make_and_validate_key(key)
    assert any(issubclass(warning.category, CacheKeyWarning) for warning in caught)
