"""The real background worker, run in the test's process until the queue is empty."""

from __future__ import annotations

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plugline.core.tests.commands import run_command


def run_worker() -> None:
    """`manage.py db_worker --batch`: run every task that is due, then return.

    Needs a transactional test (`django_db(transaction=True)`): the worker
    opens its own transactions and closes the connection between tasks.
    """
    run_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload")


def queued_deliveries() -> list[int]:
    """Message ids of the delivery tasks waiting in the queue (due or not)."""
    ids: list[int] = []
    for task in DBTaskResult.objects.filter(status=TaskResultStatus.READY):
        kwargs = task.args_kwargs["kwargs"]
        ids += kwargs["message_ids"] if "message_ids" in kwargs else [kwargs["message_id"]]
    return sorted(ids)
