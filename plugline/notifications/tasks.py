from django_tasks import task

from plugline.notifications.services import outbox_deliver


@task()
def deliver_outbox_message(message_id: int) -> bool:
    return outbox_deliver(message_id=message_id)


@task()
def deliver_outbox_messages(message_ids: list[int]) -> int:
    """Messages queued together (a batch of renewals' receipts), one after the other: how
    many were sent now. One that fails is retried on its own; one left unsent by a worker
    that died is requeued by the sweep."""
    return sum(outbox_deliver(message_id=message_id) for message_id in message_ids)
