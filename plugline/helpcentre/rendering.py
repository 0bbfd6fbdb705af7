"""Markdown written by staff, rendered to HTML that is safe to show to anyone.

Staff may paste careless HTML into an article: whatever Markdown lets through
is cleaned by nh3 (an allow-list of tags and attributes, no script, no inline
event handler, no javascript: link), and links get rel="noopener".
"""

from __future__ import annotations

import html
import re

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "dl", "dt", "em", "h2", "h3", "h4",
    "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def markdown_render(text: str) -> str:
    """The article's Markdown as sanitised HTML."""
    rendered = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        strip_comments=True,
    )


def html_to_text(cleaned_html: str) -> str:
    """The words of sanitised HTML, for the search index and its snippets."""
    text = _TAGS.sub(" ", cleaned_html)
    return _SPACES.sub(" ", html.unescape(text)).strip()
