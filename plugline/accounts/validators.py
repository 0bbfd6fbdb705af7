"""Password rules of our own, next to Django's (settings.AUTH_PASSWORD_VALIDATORS).

Plugline follows NIST SP 800-63B: a length range and a refusal of
passwords that are common or easily guessed, no rules about which kinds of
characters a password must contain.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

# Rows of keys on the keyboards our subscribers use (US, French, Danish),
# for passwords such as "qwertyuiop" or "azertyui".
_KEY_ROWS = (
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertyuiopå",
    "asdfghjklæø",
)
# A password that repeats a block this long or shorter is "repeated".
_LONGEST_REPEATED_BLOCK = 3
# Shorter passwords are refused for their length alone.
_SHORTEST_PATTERN = 3


class MaximumLengthValidator:
    """At most `max_length` characters: long passphrases yes, megabytes to hash no."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max_length)d character.",
                    "This password is too long. It must contain at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password can contain at most %(max_length)d character.",
            "Your password can contain at most %(max_length)d characters.",
            self.max_length,
        ) % {"max_length": self.max_length}


def _is_repeated(text: str) -> bool:
    """ "aaaaaaaa", "abababab", "123123123": one short block over and over."""
    for size in range(1, _LONGEST_REPEATED_BLOCK + 1):
        block = text[:size]
        if len(text) > size and (block * (len(text) // size + 1)).startswith(text):
            return True
    return False


def _is_sequence(text: str) -> bool:
    """ "12345678", "abcdefgh", "98765432", "qwertyui": the next key or letter each time."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    if steps in ({1}, {-1}) and (text.isdigit() or text.isalpha()):
        return True
    return any(text in row or text in row[::-1] for row in _KEY_ROWS)


class SimplePatternValidator:
    """Refuses a password that is one character (or a few) repeated, or a simple sequence.

    The list of common passwords holds the usual ones ("aaaaaaaa",
    "12345678"); this catches the longer ones that attackers try as well.
    """

    def validate(self, password: str, user: Any = None) -> None:
        text = password.lower()
        if len(text) < _SHORTEST_PATTERN:
            return
        if _is_repeated(text):
            raise ValidationError(
                gettext(
                    "This password only repeats one character or a few, like aaaaaaaa or "
                    "abababab, which is easy to guess."
                ),
                code="password_repeated",
            )
        if _is_sequence(text):
            raise ValidationError(
                gettext(
                    "This password is a simple sequence, like 12345678, abcdefgh or a row of "
                    "keys, which is easy to guess."
                ),
                code="password_sequence",
            )

    def get_help_text(self) -> str:
        return gettext("Your password can't be a repeated character or a simple sequence.")
