"""Django's CSRF secrets and masks, drawn by plugline.core.csrf."""

from __future__ import annotations

import secrets
import string
from collections import Counter
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware import csrf
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import RequestFactory

from plugline.core.csrf import csrf_string

LENGTH = 32
ALPHABET = string.ascii_letters + string.digits
STRINGS = 20_000


def _chi_square(draw: Callable[[], str]) -> float:
    """Pearson's statistic of STRINGS draws against "every character uniform over the
    62 at every position": 62 by 32 cells, 1,953 degrees of freedom (mean 1,953,
    standard deviation 62.5)."""
    counts: Counter[tuple[int, str]] = Counter()
    for _ in range(STRINGS):
        counts.update(enumerate(draw()))
    expected = STRINGS / len(ALPHABET)
    return sum(
        (counts[(position, character)] - expected) ** 2 / expected
        for position in range(LENGTH)
        for character in ALPHABET
    )


# Mean and 7 standard deviations of the statistic for uniform strings: a uniform
# draw is above it about once in 10^10 runs.
UNIFORM_AT_MOST = 1953 + 7 * 62.5


def test_django_draws_its_csrf_secrets_and_masks_with_it() -> None:
    assert csrf._get_new_csrf_string is csrf_string
    assert sorted(csrf.CSRF_ALLOWED_CHARS) == sorted(ALPHABET)
    assert csrf.CSRF_SECRET_LENGTH == LENGTH


def test_its_strings_have_djangos_length_and_characters_and_never_repeat() -> None:
    drawn = [csrf_string() for _ in range(STRINGS)]
    assert all(len(each) == LENGTH and set(each) <= set(ALPHABET) for each in drawn)
    assert len(set(drawn)) == STRINGS


def test_each_character_is_uniform_over_the_62_at_every_position() -> None:
    assert _chi_square(csrf_string) < UNIFORM_AT_MOST


def test_the_uniformity_check_finds_a_draw_a_little_biased() -> None:
    """A byte modulo 62 (the 8 first characters a quarter more likely): the statistic
    above sees it."""

    def biased() -> str:
        return "".join(ALPHABET[byte % 62] for byte in secrets.token_bytes(LENGTH))

    assert _chi_square(biased) > 2 * UNIFORM_AT_MOST


def _csrf_checked(factory: RequestFactory, secret: str, token: str) -> HttpResponse | None:
    """What Django's CSRF middleware answers to a form posted with this token."""
    request = factory.post("/", {"csrfmiddlewaretoken": token})
    request.COOKIES["csrftoken"] = secret
    middleware = CsrfViewMiddleware(lambda _request: HttpResponse())
    middleware.process_request(request)
    return middleware.process_view(request, lambda _request: HttpResponse(), (), {})


def test_each_rendered_token_is_different_and_djangos_check_accepts_it() -> None:
    factory = RequestFactory()
    secret = csrf_string()

    def rendered() -> str:
        request: HttpRequest = factory.get("/")
        request.COOKIES["csrftoken"] = secret
        CsrfViewMiddleware(lambda _request: HttpResponse()).process_request(request)
        return get_token(request)

    tokens = [rendered() for _ in range(100)]
    assert len(set(tokens)) == 100
    for token in tokens:
        assert len(token) == 2 * LENGTH
        assert _csrf_checked(factory, secret, token) is None
    tampered = tokens[0][:-1] + ("a" if tokens[0][-1] != "a" else "b")
    refused = _csrf_checked(factory, secret, tampered)
    assert refused is not None and refused.status_code == 403
