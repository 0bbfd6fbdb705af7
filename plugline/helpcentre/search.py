"""Full-text search of the help articles, in the reader's language, on either database.

- SQLite (`make run`): the FTS5 table `helpcentre_search` (created by migration 0002),
  tokenized with `unicode61 remove_diacritics 2` so that "telephone" finds "téléphone";
  ranked by bm25, the title weighing more than the text.
- PostgreSQL (production): each translation's `search_vector`, built with the
  language's text search configuration (`plugline_en`, `plugline_fr`, `plugline_da`:
  english, french, danish with `unaccent` in front of the stemmer, also migration
  0002), under a GIN index; ranked by ts_rank.

Both keep only the words of what the reader typed, each quoted (FTS5) or
matched as a prefix (PostgreSQL), so that no character of the query language
(`"`, `*`, `(`, `:`, `&`) can make the query fail.
The index follows the translations through `search_index_update`, called by
the services that save them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import F
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from plugline.helpcentre.models import ArticleTranslation

QUERY_MAX_CHARS = 200
TERMS_MAX = 12
RESULTS_MAX = 20
POSTGRES_CONFIGS = {"en": "plugline_en", "fr": "plugline_fr", "da": "plugline_da"}
# Around the matched words in snippets, replaced by <mark> once the rest is escaped.
_MARK_START, _MARK_END = "\x02", "\x03"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchHit:
    translation: ArticleTranslation
    snippet: SafeString


def search_terms(query: str) -> list[str]:
    """The words of `query` (letters and digits), at most TERMS_MAX of them."""
    return _WORD.findall(query[:QUERY_MAX_CHARS])[:TERMS_MAX]


def _snippet_html(text: str) -> SafeString:
    escaped = str(escape(text))
    return mark_safe(  # noqa: S308 - escaped above; only our own <mark> is added
        escaped.replace(_MARK_START, "<mark>").replace(_MARK_END, "</mark>")
    )


def search_articles(*, language: str, terms: list[str]) -> list[SearchHit]:
    """Published translations in `language` with every term, best first, with a snippet."""
    if not terms:
        return []
    if connection.vendor == "postgresql":
        return _search_postgres(language=language, terms=terms)
    return _search_sqlite(language=language, terms=terms)


def _search_sqlite(*, language: str, terms: list[str]) -> list[SearchHit]:
    # Each term a quoted string (so no FTS5 syntax), matched as a prefix.
    match = " ".join('"{}"*'.format(term.replace('"', '""')) for term in terms)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid, snippet(helpcentre_search, 1, %s, %s, '…', 24)"
            " FROM helpcentre_search"
            " WHERE helpcentre_search MATCH %s AND language = %s"
            # Rows of translations deleted without the services (a flush, a cascade) are
            # left out here, or enough of them would take every place under the LIMIT.
            " AND rowid IN (SELECT id FROM helpcentre_articletranslation WHERE is_published)"
            " ORDER BY bm25(helpcentre_search, 5.0, 1.0) LIMIT %s",
            [_MARK_START, _MARK_END, match, language, RESULTS_MAX],
        )
        rows = cursor.fetchall()
    found = ArticleTranslation.objects.select_related("article__category").in_bulk(
        [row[0] for row in rows]
    )
    return [
        SearchHit(translation=found[pk], snippet=_snippet_html(snippet))
        for pk, snippet in rows
        if pk in found and found[pk].is_published
    ]


def _search_postgres(*, language: str, terms: list[str]) -> list[SearchHit]:
    config = POSTGRES_CONFIGS.get(language, "plugline_en")
    # Words only (see search_terms), so the raw syntax cannot be broken: all terms, as prefixes.
    query = SearchQuery(" & ".join(f"{term}:*" for term in terms), config=config, search_type="raw")
    translations = (
        ArticleTranslation.objects.filter(language=language, is_published=True, search_vector=query)
        .select_related("article__category")
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            snippet=SearchHeadline(
                "search_text",
                query,
                config=config,
                start_sel=_MARK_START,
                stop_sel=_MARK_END,
                max_words=30,
                min_words=12,
                fragment_delimiter=" … ",
                max_fragments=2,
            ),
        )
        .order_by("-rank", "article__position", "pk")[:RESULTS_MAX]
    )
    return [
        SearchHit(translation=translation, snippet=_snippet_html(translation.snippet))
        for translation in translations
    ]


def search_index_update(*, translations: Iterable[ArticleTranslation]) -> None:
    """Brings the index in step with `translations` as saved (published ones are findable)."""
    translations = list(translations)
    if not translations:
        return
    if connection.vendor == "postgresql":
        for language, config in POSTGRES_CONFIGS.items():
            ids = [t.pk for t in translations if t.language == language]
            if ids:
                ArticleTranslation.objects.filter(pk__in=ids).update(
                    search_vector=SearchVector("title", weight="A", config=config)
                    + SearchVector("search_text", weight="B", config=config)
                )
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "DELETE FROM helpcentre_search WHERE rowid = %s", [[t.pk] for t in translations]
        )
        cursor.executemany(
            "INSERT INTO helpcentre_search (rowid, title, body, language) VALUES (%s, %s, %s, %s)",
            [[t.pk, t.title, t.search_text, t.language] for t in translations if t.is_published],
        )


def search_index_prune() -> None:
    """Takes deleted translations out of the SQLite index (PostgreSQL's goes with the row)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM helpcentre_search WHERE rowid NOT IN"
                " (SELECT id FROM helpcentre_articletranslation WHERE is_published)"
            )
