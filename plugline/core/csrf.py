"""Django's CSRF secrets and masks, drawn with one read of the system's random source.

Django draws each of them (a browser's secret, and the mask that makes every
token it renders different: the defence against BREACH) with
`get_random_string`, one `secrets.choice` per character: 32 reads of the
system's random source for a mask, about a tenth of the time of a cached
"My account" page. `csrf_string` draws the same thing, 32 characters each
uniform and independent over Django's 62 (CSRF_ALLOWED_CHARS), from one read.
CoreConfig.ready puts it in Django's place (`csrf_string_install`); tokens,
cookies and their checks are Django's as before.
"""

from __future__ import annotations

import secrets
import string

from django.middleware import csrf

# Bytes drawn at a time: a multiple of 3, so that each of token_urlsafe's 40
# characters is a whole 6-bit group (no short group at the end).
_BYTES = 30


def csrf_string() -> str:
    """CSRF_SECRET_LENGTH characters, each uniform and independent over CSRF_ALLOWED_CHARS.

    token_urlsafe's characters are each uniform and independent over 64 (letters,
    digits, "-" and "_"); dropping "-" and "_" leaves the others each uniform over
    the 62 letters and digits, still independent.
    """
    found = ""
    while len(found) < csrf.CSRF_SECRET_LENGTH:
        found += secrets.token_urlsafe(_BYTES).replace("-", "").replace("_", "")
    return found[: csrf.CSRF_SECRET_LENGTH]


def csrf_string_install() -> None:
    """Django's CSRF secrets and masks drawn with `csrf_string`."""
    if not callable(getattr(csrf, "_get_new_csrf_string", None)) or sorted(
        csrf.CSRF_ALLOWED_CHARS
    ) != sorted(string.ascii_letters + string.digits):
        # Django draws them elsewhere now, or from other characters: its own way is
        # kept, slower but right (and the tests say so).
        return
    csrf._get_new_csrf_string = csrf_string
