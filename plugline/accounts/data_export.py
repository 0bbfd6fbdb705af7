""" "Download my data": one registry of the sections of an account's data export.

Each app that holds something about an account registers a section here,
from its AppConfig.ready(): the accounts app registers its own (and those of
the apps below it), apps above accounts (devices, billing, ...) register
theirs, so this module never imports them. A section is a function of the
user returning JSON-able data (datetimes are fine) that never contains a
secret: no password hash, TOTP secret, recovery code, token, session key or
device key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from plugline.accounts.models import User

# Apps above accounts may type their function's argument as AbstractBaseUser.
DataExportSection = Callable[[User], Any]

# The export's own description; no section may take this name.
EXPORT_INFO_KEY = "export"

_sections: dict[str, DataExportSection] = {}


def register_data_export_section(name: str, func: DataExportSection) -> None:
    """Add `func(user)`'s answer to every export, under `name`."""
    if name == EXPORT_INFO_KEY:
        raise ImproperlyConfigured(f"{EXPORT_INFO_KEY!r} is the export's own key")
    registered = _sections.get(name)
    if registered is not None and registered is not func:
        raise ImproperlyConfigured(f"data export section {name!r} is registered twice")
    _sections[name] = func


def data_export_section_names() -> list[str]:
    return list(_sections)


def data_export_build(*, user: User) -> dict[str, Any]:
    """Everything Plugline holds about `user`, section by section."""
    export: dict[str, Any] = {
        EXPORT_INFO_KEY: {
            "service": settings.BRAND_NAME,
            "site": settings.SITE_URL,
            "created_at": timezone.now(),
            "sections": data_export_section_names(),
        }
    }
    for name, func in _sections.items():
        export[name] = func(user)
    return export
