"""The colour tokens at the top of plugline.css keep the WCAG contrast their comment promises.

The stylesheet documents each foreground/background pair ("text --ink on --surface 16.6:1");
these tests read the tokens and that list from the CSS itself, so a token changed to a colour
that reads badly, or a ratio written down wrong, fails here before anyone sees the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import tinycss2
from coloraide import Color

STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "core" / "plugline.css"
# WCAG 2.1: 1.4.3 for text, 1.4.11 for the parts of controls and the focus ring.
MINIMUM = {"text": 4.5, "ui": 3.0}
PAIR = re.compile(r"^\s*(text|ui)\s+--([\w-]+)\s+on\s+--([\w-]+)\s+(\d+(?:\.\d+)?):1\s*$")
# Pairs the pages rely on: none of them may silently drop out of the documented list.
REQUIRED = {
    ("text", "ink", "surface"),
    ("text", "muted", "surface"),
    ("text", "link", "surface"),
    ("text", "brand-ink", "brand"),
    ("text", "surface", "danger"),
    ("text", "danger", "danger-bg"),
    ("text", "success", "success-bg"),
    ("text", "warning", "warning-bg"),
    ("text", "info", "info-bg"),
    ("ui", "line-strong", "surface"),
    ("ui", "focus", "surface"),
    ("ui", "focus-halo", "brand"),
}


@dataclass(frozen=True)
class Pair:
    kind: str
    foreground: str
    background: str
    documented: float

    def __str__(self) -> str:
        return f"{self.kind} --{self.foreground} on --{self.background}"


def root_rule(css: str) -> list[tinycss2.ast.Node]:
    rules = tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=True)
    for rule in rules:
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == ":root":
            return tinycss2.parse_blocks_contents(rule.content, skip_comments=False)
    raise AssertionError("plugline.css has no :root rule")


def tokens(css: str) -> dict[str, str]:
    """The custom properties of :root whose value is a colour, e.g. {"ink": "#1b1f24"}."""
    found = {}
    for node in root_rule(css):
        if node.type == "declaration" and node.name.startswith("--"):
            value = tinycss2.serialize(node.value).strip()
            if value.startswith("#"):
                found[node.name[2:]] = value
    return found


def documented_pairs(css: str) -> list[Pair]:
    pairs = []
    for node in root_rule(css):
        if node.type == "comment":
            for line in node.value.splitlines():
                match = PAIR.match(line)
                if match:
                    kind, foreground, background, ratio = match.groups()
                    pairs.append(Pair(kind, foreground, background, float(ratio)))
    return pairs


def contrast(foreground: str, background: str) -> float:
    return float(Color(foreground).contrast(background, method="wcag21"))


CSS = STYLESHEET.read_text(encoding="utf-8")


def test_it_documents_every_pair_the_pages_rely_on():
    documented = {(p.kind, p.foreground, p.background) for p in documented_pairs(CSS)}
    assert not REQUIRED - documented, f"missing from plugline.css: {REQUIRED - documented}"


def test_it_documents_only_colours_that_exist():
    colours = tokens(CSS)
    for pair in documented_pairs(CSS):
        assert pair.foreground in colours, f"{pair}: no --{pair.foreground} colour token"
        assert pair.background in colours, f"{pair}: no --{pair.background} colour token"


@pytest.mark.parametrize("pair", documented_pairs(CSS), ids=str)
def test_it_keeps_each_documented_pair_readable(pair: Pair):
    colours = tokens(CSS)
    ratio = contrast(colours[pair.foreground], colours[pair.background])

    assert ratio >= MINIMUM[pair.kind], f"{pair} is {ratio:.2f}:1, below {MINIMUM[pair.kind]}:1"
    # The comment tells the truth, to one decimal (rounded down, never flattering).
    assert pair.documented == int(ratio * 10) / 10, f"{pair}: the comment says {pair.documented}"


def test_it_fails_a_token_that_reads_badly():
    """The check itself: a light grey for the muted text would not pass."""
    css = CSS.replace("--muted: #4a5361;", "--muted: #9aa3ad;")
    colours = tokens(css)
    assert colours["muted"] == "#9aa3ad"
    assert contrast(colours["muted"], colours["surface"]) < MINIMUM["text"]
