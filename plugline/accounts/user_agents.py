"""A browser's User-Agent header in plain words ("Firefox on Windows"), without a dependency.

Good enough to let someone recognise their own browsers and devices in the
list of sessions and in security emails; not a device database. Anything
unrecognised is shown as it was sent, shortened.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext

# Order matters: Edge, Opera and Samsung Internet also say "Chrome", Chrome
# also says "Safari", and the iOS browsers all carry Safari's engine.
_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"\bEdg(e|A|iOS)?/", "Edge"),
    (r"\b(OPR|OPiOS)/|\bOpera\b", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\b(Firefox|FxiOS)/", "Firefox"),
    (r"\bCriOS/", "Chrome"),
    (r"\bChromium/", "Chromium"),
    (r"\b(HeadlessChrome|Chrome)/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    (r"\biPhone\b", "iPhone"),
    (r"\biPad\b", "iPad"),
    (r"\bAndroid\b", "Android"),
    (r"\bWindows\b", "Windows"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
    (r"\bLinux\b", "Linux"),
)
# How much of an unrecognised header to show.
_RAW_LENGTH = 60
# What allauth's security emails pass when the request had no User-Agent.
_ALLAUTH_MISSING = "Unspecified"


def _first_match(patterns: tuple[tuple[str, str], ...], user_agent: str) -> str:
    for pattern, name in patterns:
        if re.search(pattern, user_agent):
            return name
    return ""


def user_agent_describe(user_agent: str) -> str:
    """The browser and system of a User-Agent header, in the active language."""
    user_agent = (user_agent or "").strip()
    if not user_agent or user_agent == _ALLAUTH_MISSING:
        return gettext("Unknown browser")
    browser = _first_match(_BROWSERS, user_agent)
    system = _first_match(_SYSTEMS, user_agent)
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser:
        return browser
    if system:
        return gettext("A browser on %(system)s") % {"system": system}
    if len(user_agent) > _RAW_LENGTH:
        return user_agent[: _RAW_LENGTH - 1] + "…"
    return user_agent
