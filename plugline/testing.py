"""Loaded by pytest before Django (`-p plugline.testing` in pyproject.toml).

The suite runs with development defaults (DEBUG on, a generated key) unless
the caller's environment says otherwise, e.g. DATABASE_URL=postgres://...
for the PostgreSQL run. Django's test runner still forces DEBUG off in tests.
"""

import os

os.environ.setdefault("DEBUG", "1")
# Playwright's sync API keeps an event loop running in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
