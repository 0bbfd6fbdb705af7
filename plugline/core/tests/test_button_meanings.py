"""Every button in the templates says what it means: primary, secondary, danger or link.

A button's colour is the first thing a subscriber reads: the main action of a page stands out,
and anything that removes, releases or closes is red. See the top of core/static/core/plugline.css.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(ROOT.glob("*/templates/**/*.html"))
MEANINGS = {"primary", "secondary", "danger", "link"}
BUTTON = re.compile(
    r"<(?P<tag>a|button)\b(?P<attrs>[^>]*\bclass=\"(?P<classes>[^\"]*)\"[^>]*)>(?P<text>.*?)</(?P=tag)>",
    re.DOTALL,
)
# Labels of destructive actions, as the templates write them ({% translate "..." %}).
DESTRUCTIVE = re.compile(
    r'translate "(Remove|Remove the card|Release this device|Release my device|Close my account|'
    r'Cancel the trial|Turn off two-factor sign-in)"'
)


def buttons(path: Path) -> list[tuple[set[str], str, str]]:
    """(class words, label source, the tag as written) of each element styled as a button."""
    found = []
    for match in BUTTON.finditer(path.read_text(encoding="utf-8")):
        words = set(re.sub(r"{%.*?%}", " ", match["classes"]).split())
        words |= set(re.findall(r"%}\s*(\w+)\s*{%", match["classes"]))
        if "button" in words or "link" in words:
            found.append((words, match["text"], match.group(0)[:120]))
    return found


def test_it_finds_the_buttons_it_checks():
    everything = [b for path in TEMPLATES for b in buttons(path)]
    assert len(everything) > 50
    assert any("danger" in words for words, _, _ in everything)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_button_says_what_it_means(path: Path):
    for words, _, tag in buttons(path):
        assert words & MEANINGS, f"{tag}: add primary, secondary, danger or link"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_it_shows_destructive_actions_as_danger(path: Path):
    for words, text, tag in buttons(path):
        if DESTRUCTIVE.search(text):
            assert "danger" in words, f"{tag}: a destructive action is a danger button"
