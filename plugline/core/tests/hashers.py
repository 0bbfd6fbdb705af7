"""Argon2 with small costs, for the suite's test accounts (see the root conftest).

The same algorithm and hash format as production's Argon2PasswordHasher,
so a hash made here verifies there; only the work factors are lowered, to
keep each test account's password from costing a seventh of a second.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
