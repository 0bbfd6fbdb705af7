"""How long a failed email waits before the next attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugline.notifications.services import retry_delay


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [
        (1, timedelta(seconds=30)),
        (2, timedelta(minutes=1)),
        (3, timedelta(minutes=2)),
        (4, timedelta(minutes=4)),
        (8, timedelta(minutes=64)),
        (10, timedelta(minutes=256)),
        (11, timedelta(hours=6)),
    ],
)
def test_it_doubles_the_delay_after_each_failure(attempts: int, delay: timedelta):
    assert retry_delay(attempts) == delay


@pytest.mark.parametrize("attempts", [12, 43, 100, 32767])
def test_it_waits_at_most_six_hours_however_many_attempts_an_operator_allows(attempts: int):
    assert retry_delay(attempts) == timedelta(hours=6)
