"""Template helpers for the Security pages and emails of the Account area."""

from __future__ import annotations

import base64
from collections.abc import Iterable

from django import template
from django.conf import settings
from django.utils.translation import gettext

from plugline.accounts.user_agents import user_agent_describe

register = template.Library()


@register.filter
def browser_name(user_agent: str) -> str:
    """ "Firefox on Windows" for a User-Agent header."""
    return user_agent_describe(user_agent)


@register.filter
def secret_groups(secret: str) -> str:
    """A TOTP secret in groups of four characters, easier to read and to type."""
    secret = "".join(str(secret).split())
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@register.simple_tag
def recovery_codes_file(codes: Iterable[str], account: str) -> str:
    """A data: URI of a text file with the recovery codes, for a download link.

    The file travels inside the page that shows the codes, which is shown
    once: downloading it needs no second request.
    """
    lines = [
        gettext("%(brand)s recovery codes for %(account)s")
        % {"brand": settings.BRAND_NAME, "account": account},
        gettext("Each code works once, when your authenticator app is not at hand."),
        "",
        *codes,
        "",
    ]
    content = "\r\n".join(lines).encode("utf-8")
    return "data:text/plain;charset=utf-8;base64," + base64.b64encode(content).decode("ascii")
