"""The developers' mailbox (/dev/mail/): the outbox as an inbox, DEBUG only."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from plugline.notifications.models import OutboxMessage


def _require_debug() -> None:
    if not settings.DEBUG:
        raise Http404


def mailbox(request: HttpRequest) -> HttpResponse:
    _require_debug()
    messages = OutboxMessage.objects.only("id", "created_at", "to_email", "subject", "status")[:200]
    return render(request, "notifications/mailbox.html", {"outbox": messages})


def mailbox_message(request: HttpRequest, message_id: int) -> HttpResponse:
    _require_debug()
    message = get_object_or_404(OutboxMessage, pk=message_id)
    return render(request, "notifications/mailbox_message.html", {"message": message})
