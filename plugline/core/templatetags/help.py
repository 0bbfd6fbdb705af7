"""`{% help_related "topic-key" %}`: up to three help articles about where the reader is stuck."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from plugline.core.help_links import help_links_for

register = template.Library()


@register.inclusion_tag("core/help_related.html")
def help_related(topic: str, limit: int = 3) -> dict[str, Any]:
    limit = max(1, min(limit, 3))
    language = translation.get_language() or "en"
    return {"links": help_links_for(topic=topic, language=language, limit=limit)}
