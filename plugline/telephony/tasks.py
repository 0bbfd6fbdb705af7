"""Background tasks of telephony (thin: the work is in plugline.telephony.lines)."""

from django_tasks import task

from plugline.telephony.lines import sip_registrations_end_attempt


@task()
def end_sip_registrations(aor: str, attempt: int) -> bool:
    return sip_registrations_end_attempt(aor=aor, attempt=attempt)
