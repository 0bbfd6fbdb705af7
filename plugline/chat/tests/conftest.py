from typing import Any

import pytest

from plugline.chat.tests.asgi_servers import ALWAYS_OPEN


@pytest.fixture(autouse=True)
def _support_always_open(settings: Any) -> None:
    """Chats are offered whatever the hour the tests run at (business hours: SUPPORT_HOURS)."""
    settings.SUPPORT_HOURS = ALWAYS_OPEN
