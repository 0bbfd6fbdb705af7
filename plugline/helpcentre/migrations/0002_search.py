"""The full-text search of help articles, for the database in use (plugline.helpcentre.search).

SQLite: the FTS5 table helpcentre_search, which ignores accents ("telephone"
finds "téléphone"). PostgreSQL: the `unaccent` extension, a text search
configuration per language (english, french and danish with unaccent in front
of their stemmer), and a GIN index on each translation's search vector.
Each part runs only on its own database.
"""

from django.db import migrations

LANGUAGES = [("en", "english"), ("fr", "french"), ("da", "danish")]

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE helpcentre_search USING fts5("
    "title, body, language UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS helpcentre_search"]

POSTGRES_FORWARD = ["CREATE EXTENSION IF NOT EXISTS unaccent"]
for code, name in LANGUAGES:
    POSTGRES_FORWARD += [
        f"CREATE TEXT SEARCH CONFIGURATION plugline_{code} (COPY = pg_catalog.{name})",
        f"ALTER TEXT SEARCH CONFIGURATION plugline_{code}"
        f" ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {name}_stem",
    ]
POSTGRES_FORWARD.append(
    "CREATE INDEX helpcentre_translation_search_gin"
    " ON helpcentre_articletranslation USING gin (search_vector)"
)
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS helpcentre_translation_search_gin"] + [
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS plugline_{code}" for code, _name in LANGUAGES
]


class RunSQLOn(migrations.RunSQL):
    """RunSQL on one database vendor only (a no-op on the others)."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("helpcentre", "0001_initial")]

    operations = [
        RunSQLOn("sqlite", SQLITE_FORWARD, SQLITE_BACKWARD),
        RunSQLOn("postgresql", POSTGRES_FORWARD, POSTGRES_BACKWARD),
    ]
