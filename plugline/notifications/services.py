"""Writes of the outbox: queue a message with its cause, deliver it, retry it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from plugline.notifications.models import OutboxAttachment, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# How long a worker may hold a message before another may take it over.
CLAIM_TIMEOUT = timedelta(minutes=5)
# A pending message overdue by this much has lost its task; the sweep requeues it.
SWEEP_GRACE = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failed delivery: 30 s, 1 min, 2 min, ... at most 6 h."""
    # 30 s * 2**10 is already past the cap; larger powers would overflow timedelta.
    doublings = min(max(attempts - 1, 0), 10)
    return min(timedelta(seconds=30) * 2**doublings, timedelta(hours=6))


def email_render(*, template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body of `template` in `language`.

    A template is `<template>_subject.txt`, `<template>_message.txt` and, for
    a designed message, `<template>_message.html`; without one, the text is
    set in the standard HTML layout.
    """
    context = {"BRAND_NAME": settings.BRAND_NAME, "SITE_URL": settings.SITE_URL, **context}
    with translation.override(language):
        subject_text = _render_plain_text(f"{template}_subject.txt", context)
        body_text = _render_plain_text(f"{template}_message.txt", context).strip()
        try:
            body_html = render_to_string(f"{template}_message.html", context).strip()
        except TemplateDoesNotExist:
            body_html = render_to_string(
                "notifications/email/text_as_html.html", {**context, "body_text": body_text}
            ).strip()
    subject = " ".join(subject_text.split())
    return subject, body_text, body_html


def _render_plain_text(template_name: str, context: dict[str, Any]) -> str:
    """Render a subject or text body without HTML escaping ("O'Brien", not "O&#x27;Brien")."""
    template = Engine.get_default().get_template(template_name)
    return template.render(Context(context, autoescape=False))


@dataclass(frozen=True)
class Attachment:
    """A file to send with an email: its name, MIME type and bytes."""

    filename: str
    content_type: str
    content: bytes


@transaction.atomic
def email_send(
    *,
    template: str,
    to: str,
    context: dict[str, Any],
    language: str,
    user: AbstractBaseUser | None = None,
    attachments: Iterable[Attachment] = (),
) -> OutboxMessage:
    """Render an email into the outbox; it is delivered once the caller's transaction commits.

    `attachments` are kept in the outbox with the message and sent with it."""
    subject, body_text, body_html = email_render(
        template=template, context=context, language=language
    )
    message = OutboxMessage.objects.create(
        user_id=user.pk if user is not None else None,
        to_email=to,
        template=template,
        language=language,
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
    )
    OutboxAttachment.objects.bulk_create(
        OutboxAttachment(
            message=message,
            filename=attachment.filename,
            content_type=attachment.content_type,
            content=attachment.content,
        )
        for attachment in attachments
    )
    transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return message


@dataclass(frozen=True)
class EmailToSend:
    """One message for `emails_send`: what `email_send` takes."""

    template: str
    to: str
    context: dict[str, Any]
    language: str
    user: AbstractBaseUser | None = None
    # Dates are written in this zone (the recipient's); the current one if None.
    time_zone: tzinfo | None = None


def emails_send(emails: Iterable[EmailToSend]) -> list[OutboxMessage]:
    """`email_send` for several messages: one INSERT, and their deliveries queued together
    once the caller's transaction commits."""
    return outbox_queue(emails_render(emails))


def emails_render(emails: Iterable[EmailToSend]) -> list[OutboxMessage]:
    """The messages rendered, not saved yet (see `outbox_queue`)."""
    messages = []
    for email in emails:
        with timezone.override(email.time_zone or timezone.get_current_timezone()):
            subject, body_text, body_html = email_render(
                template=email.template, context=email.context, language=email.language
            )
        messages.append(
            OutboxMessage(
                user_id=email.user.pk if email.user is not None else None,
                to_email=email.to,
                template=email.template,
                language=email.language,
                subject=subject[:300],
                body_text=body_text,
                body_html=body_html,
            )
        )
    return messages


def outbox_queue(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Save rendered messages in one INSERT; delivered once the caller's transaction commits."""
    if not messages:
        return []
    OutboxMessage.objects.bulk_create(messages)
    ids = [message.pk for message in messages]
    transaction.on_commit(lambda: _enqueue_deliveries(ids))
    return messages


def _enqueue_deliveries(message_ids: list[int]) -> None:
    # One task for the batch's messages (a message whose task is lost is requeued by
    # the sweep).
    if len(message_ids) == 1:
        _enqueue_delivery(message_ids[0])
        return
    from plugline.notifications.tasks import deliver_outbox_messages

    deliver_outbox_messages.enqueue(message_ids=message_ids)


def _enqueue_delivery(message_id: int, run_after: datetime | None = None) -> None:
    from plugline.notifications.tasks import deliver_outbox_message

    task = deliver_outbox_message
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue(message_id=message_id)


def outbox_claim(*, message_id: int, now: datetime) -> bool:
    """Take a due message for delivery. False if it is not due or another worker has it."""
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxStatus.PENDING, next_attempt_at__lte=now
    ).update(
        status=OutboxStatus.SENDING,
        claimed_until=now + CLAIM_TIMEOUT,
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def outbox_deliver(*, message_id: int) -> bool:
    """Send one message through Django's email backend. True if it was sent now."""
    now = timezone.now()
    if not outbox_claim(message_id=message_id, now=now):
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={"X-Plugline-Message": str(message.pk)},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    try:
        get_connection(fail_silently=False).send_messages([email])
    except Exception as exc:
        _outbox_delivery_failed(message=message, error=exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    return True


def _outbox_delivery_failed(*, message: OutboxMessage, error: Exception) -> None:
    error_text = f"{type(error).__name__}: {error}"[:500]
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        logger.error("outbox message %s failed for good: %s", message.pk, error_text)
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.FAILED, claimed_until=None, last_error=error_text
        )
        return
    next_attempt_at = timezone.now() + retry_delay(message.attempts)
    logger.warning(
        "outbox message %s attempt %s failed (%s); next at %s",
        message.pk,
        message.attempts,
        error_text,
        next_attempt_at.isoformat(),
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.PENDING,
        claimed_until=None,
        next_attempt_at=next_attempt_at,
        last_error=error_text,
    )
    _enqueue_delivery(message.pk, run_after=next_attempt_at)


def outbox_sweep(*, now: datetime | None = None) -> int:
    """Requeue messages whose delivery task was lost: abandoned claims, overdue retries."""
    now = now or timezone.now()
    # An abandoned message is overdue at once, so the loop below requeues it now.
    OutboxMessage.objects.filter(status=OutboxStatus.SENDING, claimed_until__lt=now).update(
        status=OutboxStatus.PENDING, claimed_until=None, next_attempt_at=now - SWEEP_GRACE
    )
    overdue = list(
        OutboxMessage.objects.filter(
            Q(status=OutboxStatus.PENDING) & Q(next_attempt_at__lte=now - SWEEP_GRACE)
        ).values_list("pk", flat=True)[:500]
    )
    requeued = 0
    for message_id in overdue:
        # Push the due time forward so the next sweep does not queue it again
        # while this task waits for a worker; a sweep running at the same time
        # that pushed it first has queued it already.
        pushed = OutboxMessage.objects.filter(
            pk=message_id, status=OutboxStatus.PENDING, next_attempt_at__lte=now - SWEEP_GRACE
        ).update(next_attempt_at=now)
        if pushed:
            _enqueue_delivery(message_id)
            requeued += 1
    return requeued


@transaction.atomic
def outbox_forget(*, user: AbstractBaseUser, addresses: Iterable[str] = ()) -> int:
    """Delete the emails sent to a closing account; the number deleted.

    Its messages, and those queued without an account to one of its
    `addresses` (a notice to an address it has just removed, say).
    """
    lowered = {address.lower() for address in addresses if address}
    to_account = Q(user_id=user.pk)
    if lowered:
        to_account |= Q(user__isnull=True, to_email_lower__in=lowered)
    deleted, _ = (
        OutboxMessage.objects.annotate(to_email_lower=Lower("to_email")).filter(to_account).delete()
    )
    return deleted
