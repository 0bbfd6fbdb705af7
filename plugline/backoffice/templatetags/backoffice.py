"""Template tags of the staff console."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def kept_value(kept: dict[str, str], *parts: object) -> str:
    """What was typed in the field whose id is `parts` joined by "-" ("reason-refund-12"),
    when its form was refused just before (escaped, as every simple tag's output)."""
    return kept.get("-".join(str(part) for part in parts), "")
