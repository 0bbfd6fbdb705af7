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


def test_it_reads_back_every_value_as_djangos_serializer_does() -> None:
    import pickle

    from django.core.cache.backends.redis import RedisSerializer as DjangoRedisSerializer

    from plugline.core.redis_cache import RedisCache as KeptClientRedisCache

    serializer = KeptClientRedisCache("redis://127.0.0.1:6379/0", {})._cache._serializer  # type: ignore[attr-defined]
    django_serializer = DjangoRedisSerializer()
    values = [0, 7, -12, 2**70, True, None, 1.5, "12", b"\x80raw", ("page", 3), {"a": [1, 2]}]
    for value in values:
        # As redis-py hands the stored value back: an integer as its digits.
        stored = serializer.dumps(value)
        data = str(stored).encode() if isinstance(stored, int) else stored
        assert serializer.loads(data) == django_serializer.loads(data) == value
        assert type(serializer.loads(data)) is type(value)
    # A pickle of an older protocol (no PROTO opcode) is still read, by Django's path.
    assert serializer.loads(pickle.dumps({"old": 1}, protocol=0)) == {"old": 1}
    assert serializer.loads(pickle.dumps({"old": 1}, protocol=1)) == {"old": 1}


def test_it_unpickles_without_first_trying_the_value_as_an_integer(monkeypatch) -> None:
    import pickle

    from django.core.cache.backends import redis as django_redis

    from plugline.core.redis_cache import RedisCache as KeptClientRedisCache

    serializer = KeptClientRedisCache("redis://127.0.0.1:6379/0", {})._cache._serializer  # type: ignore[attr-defined]
    tried: list[object] = []

    def counting_int(value: object) -> int:
        tried.append(value)
        return int(value)  # type: ignore[call-overload]

    # Django's loads looks `int` up in its module's globals: count its calls there.
    monkeypatch.setattr(django_redis, "int", counting_int, raising=False)
    assert serializer.loads(pickle.dumps(("user", 1))) == ("user", 1)
    assert tried == []
    assert serializer.loads(b"42") == 42
    assert tried == [b"42"]


def test_a_serializer_chosen_in_the_options_is_still_used() -> None:
    from django.core.cache.backends.redis import RedisSerializer as DjangoRedisSerializer

    from plugline.core.redis_cache import RedisCache as KeptClientRedisCache

    cache = KeptClientRedisCache(
        "redis://127.0.0.1:6379/0",
        {"OPTIONS": {"serializer": "django.core.cache.backends.redis.RedisSerializer"}},
    )
    assert type(cache._cache._serializer) is DjangoRedisSerializer  # type: ignore[attr-defined]
