from django_tasks import task

from plugline.sandbox_gateway.services import event_deliver


@task()
def webhook_event_deliver(event_id: str) -> bool:
    return event_deliver(event_id=event_id)
