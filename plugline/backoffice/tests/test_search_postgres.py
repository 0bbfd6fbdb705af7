"""Every kind of search is an indexed lookup on PostgreSQL: no table is read whole.

With sequential scans priced out (`enable_seqscan = off`), a plan that still
reads a table whole has no index to use: the test fails on it.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection, transaction

from plugline.backoffice.selectors import _matching_user_ids, _search_kinds

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the plans checked are PostgreSQL's",
)


@needs_postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("alice@example.com", "email"),
        ("(212) 555-0147", "phone"),
        ("PLTEST5550147", "serial"),
        ("WO-77001", "order"),
        ("1001", "invoice"),
        ("RU0000000001", "reup"),
        ("4242 12/29", "card"),
    ],
)
def test_it_searches_each_kind_of_identifier_through_an_index(query: str, kind: str) -> None:
    value = _search_kinds(query)[kind]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = _matching_user_ids(kind, value).explain()
    assert "Seq Scan" not in plan, plan
    assert "Index" in plan, plan
