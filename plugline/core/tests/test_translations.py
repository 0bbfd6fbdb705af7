"""Every user-facing string ships in French and Danish, compiled."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(ROOT.glob("*/locale/*/LC_MESSAGES/django.po"))


def test_it_has_french_and_danish_catalogs_for_every_app_with_strings():
    languages = {po.parts[-3] for po in CATALOGS}
    assert languages == {"fr", "da"}
    apps = {po.parts[-5] for po in CATALOGS}
    assert {"core", "accounts", "notifications", "portal", "billing", "stores", "reup"} <= apps


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated(path: Path):
    catalog = polib.pofile(str(path))
    assert catalog.untranslated_entries() == []
    assert catalog.fuzzy_entries() == []
    assert catalog.percent_translated() == 100


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_compiled_catalog_matches_its_source(path: Path):
    source = polib.pofile(str(path))
    compiled = polib.mofile(str(path.with_suffix(".mo")))

    def entries(catalog: polib._BaseFile) -> dict:
        return {
            (e.msgctxt, e.msgid): e.msgstr or tuple(sorted(e.msgstr_plural.items()))
            for e in catalog
            if e.msgid and not e.obsolete
        }

    assert entries(compiled) == entries(source), "run `make messages` to recompile"


def test_make_messages_extracts_and_compiles_every_apps_catalog():
    makefile = (ROOT.parent / "Makefile").read_text()
    [listed] = [line for line in makefile.splitlines() if line.startswith("APPS :=")]
    assert set(listed.removeprefix("APPS :=").split()) == {po.parts[-5] for po in CATALOGS}
