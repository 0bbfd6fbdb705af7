"""Links to help where people get stuck, for pages of apps below the help centre.

A page (device detection, checkout, Re-Up redemption) names where the reader is
stuck with a topic key, `{% help_related "device-not-detected" %}`; the help
centre, an app above those, registers the provider that answers with its
articles (plugline.helpcentre.apps). Without a provider, nothing is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HelpLink:
    title: str
    url: str


HelpLinksProvider = Callable[..., list[HelpLink]]

_provider: list[HelpLinksProvider] = []


def help_links_provider_set(provider: HelpLinksProvider) -> None:
    """Registers the function that finds links for a topic (the help centre's)."""
    _provider[:] = [provider]


def help_links_for(*, topic: str, language: str, limit: int = 3) -> list[HelpLink]:
    """Up to `limit` links about `topic` in `language`; none without a provider."""
    if not _provider:
        return []
    return _provider[0](topic=topic, language=language, limit=limit)
