"""Settings from the environment: a value that cannot be read stops start-up by name."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from plugline.env import env_bool, env_choice, env_int, env_list, env_str


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("off", False)],
)
def test_it_reads_booleans(monkeypatch, raw: str, value: bool):
    monkeypatch.setenv("PLUGLINE_FLAG", raw)
    assert env_bool("PLUGLINE_FLAG", not value) is value


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled"])
def test_it_refuses_a_boolean_it_cannot_read(monkeypatch, raw: str):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", raw)
    with pytest.raises(ImproperlyConfigured, match=rf"SECURE_SSL_REDIRECT .*{raw!r}"):
        env_bool("SECURE_SSL_REDIRECT", True)


def test_it_reads_integers_and_falls_back_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("EMAIL_PORT", raising=False)
    assert env_int("EMAIL_PORT", 587) == 587
    monkeypatch.setenv("EMAIL_PORT", " ")
    assert env_int("EMAIL_PORT", 587) == 587
    monkeypatch.setenv("EMAIL_PORT", " 2525 ")
    assert env_int("EMAIL_PORT", 587, minimum=1) == 2525


@pytest.mark.parametrize("raw", ["25s", "1.5", "twenty"])
def test_it_refuses_an_integer_it_cannot_read(monkeypatch, raw: str):
    monkeypatch.setenv("EMAIL_PORT", raw)
    with pytest.raises(ImproperlyConfigured, match=rf"EMAIL_PORT must be an integer, not {raw!r}"):
        env_int("EMAIL_PORT", 587)


def test_it_refuses_an_integer_below_its_minimum(monkeypatch):
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "0")
    with pytest.raises(ImproperlyConfigured, match="OUTBOX_MAX_ATTEMPTS must be at least 1, not 0"):
        env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)


def test_it_reads_comma_separated_lists(monkeypatch):
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    assert env_list("ALLOWED_HOSTS", ["localhost"]) == ["localhost"]
    monkeypatch.setenv("ALLOWED_HOSTS", " plugline.example, ,www.plugline.example,")
    assert env_list("ALLOWED_HOSTS", ["localhost"]) == ["plugline.example", "www.plugline.example"]
    monkeypatch.setenv("ALLOWED_HOSTS", "")
    assert env_list("ALLOWED_HOSTS", ["localhost"]) == []


def test_it_reads_one_of_a_set_of_choices(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", " WARNING ")
    assert env_choice("LOG_LEVEL", "INFO", {"INFO", "WARNING"}) == "WARNING"
    monkeypatch.setenv("LOG_LEVEL", "verbose")
    with pytest.raises(
        ImproperlyConfigured, match="LOG_LEVEL must be one of INFO, WARNING, not 'verbose'"
    ):
        env_choice("LOG_LEVEL", "INFO", {"INFO", "WARNING"})


def test_it_reads_strings_as_given(monkeypatch):
    monkeypatch.delenv("BRAND_NAME", raising=False)
    assert env_str("BRAND_NAME", "Plugline") == "Plugline"
    monkeypatch.setenv("BRAND_NAME", "Acme Phone")
    assert env_str("BRAND_NAME", "Plugline") == "Acme Phone"
