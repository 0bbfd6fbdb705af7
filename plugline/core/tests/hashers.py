"""Argon2 with small costs, for the suite's test accounts (see the root conftest).

The same algorithms and hash formats as production's hashers
(plugline.accounts.hashers), so a hash made here verifies there; only the
work factors are lowered, to keep each test account's password from
costing a seventh of a second.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher

from plugline.accounts.hashers import NFKCArgon2PasswordHasher


class QuickArgon2PasswordHasher(NFKCArgon2PasswordHasher):
    """Production's first hasher (NFKC, then argon2id), at small costs."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


class QuickPlainArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's plain argon2, as hashes were made before normalisation, at small costs."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
