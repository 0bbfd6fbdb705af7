"""Password hashers that compare passwords after Unicode normalisation (NFKC).

One password can be typed as different code points: "é" is one character
on one keyboard (NFC) and "e" followed by a combining accent on another
(NFD, as some phones and macOS send it). NIST SP 800-63B asks verifiers to
normalise with NFKC before hashing, so that both are the same password.

`NFKCArgon2PasswordHasher` (first in PASSWORD_HASHERS) hashes and checks the
NFKC form, under its own algorithm name. `Argon2PasswordHasher` reads the
hashes made before, by Django's plain argon2 hasher: it accepts the password
as typed or in its NFKC form, and Django's check_password then stores the
password again with the first hasher at that successful sign-in.

Only the hash sees the normalised form: the password validators, and
everything else, see the password as typed.
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth import hashers


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


class NFKCArgon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Argon2id of the password's NFKC form."""

    algorithm = "argon2nfkc"

    def encode(self, password: str, salt: str) -> str:
        return super().encode(normalise(password), salt)

    def verify(self, password: str, encoded: str) -> bool:
        return super().verify(normalise(password), encoded)


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Django's argon2 hashes, made before normalisation: the typed or the NFKC form matches."""

    def verify(self, password: str, encoded: str) -> bool:
        if super().verify(password, encoded):
            return True
        normalised = normalise(password)
        return normalised != password and super().verify(normalised, encoded)
