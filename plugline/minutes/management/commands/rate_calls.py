"""`manage.py rate_calls`: charge the ended international calls not rated yet (a backlog)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from plugline.minutes.rating import calls_rate_backlog


class Command(BaseCommand):
    help = (
        "Rate and charge every ended international call that is neither charged nor set "
        "aside yet, such as the calls that ended before rating was deployed. The call record "
        "import rates the calls it ends by itself; running this at the same time charges "
        "no call twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        charged = calls_rate_backlog()
        self.stdout.write(f"{charged} international calls charged.")
