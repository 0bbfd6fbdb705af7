"""Live chat's pages: starting a chat (the widget's POST), whether agents are online, and
the agents' console. The conversation itself runs over the WebSocket (plugline.chat.consumers)."""

from __future__ import annotations

from allauth.core.internal.ratelimit import consume
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from plugline.accounts.models import User
from plugline.accounts.staff_access import staff_required
from plugline.chat import events, selectors, services
from plugline.chat.attachments import attachment_post
from plugline.chat.forms import VisitorForm
from plugline.chat.models import Conversation, ConversationStatus


@never_cache
@require_GET
def chat_status(request: HttpRequest) -> JsonResponse:
    """Whether an agent can take a chat, and this browser's chat if it has one."""
    user = request.user if request.user.is_authenticated else None
    conversation = selectors.conversation_for_customer(user=user, session=request.session)
    return JsonResponse(
        {
            "available": selectors.chat_available(),
            "conversation": conversation.status if conversation is not None else None,
        }
    )


@never_cache
@require_POST
def chat_start(request: HttpRequest) -> JsonResponse:
    """Open a chat for this browser (signed in: the account's; else name and email first)."""
    if not request.session.session_key:
        request.session.save()
    if (
        consume(
            request,
            app="allauth.account",
            action="chat_open",
            key=request.session.session_key,
        )
        is None
    ):
        return JsonResponse(
            {"error": _("Too many chats opened: wait a few minutes, then try again.")}, status=429
        )
    if not selectors.chat_available():
        return JsonResponse(
            {"error": _("No agent is online right now."), "offline": True}, status=409
        )
    language = get_language() or "en"
    current = selectors.conversation_for_customer(
        user=request.user if request.user.is_authenticated else None, session=request.session
    )
    if current is not None and current.status != ConversationStatus.CLOSED:
        # Asked twice (a double click, a second tab): still the one chat.
        return JsonResponse({"conversation": current.status})
    if request.user.is_authenticated:
        conversation = services.conversation_open(user=request.user, language=language)
    else:
        form = VisitorForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"errors": form.errors}, status=400)
        conversation = services.conversation_open(
            user=None,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            language=language,
        )
    request.session[selectors.SESSION_KEY] = conversation.pk
    async_to_sync(events.queue_announce)()
    return JsonResponse({"conversation": conversation.status})


@staff_required("chat.answer_chat")
def console(request: HttpRequest) -> HttpResponse:
    """The agents' console; its content comes over the WebSocket (static/chat/console.js)."""
    return render(request, "chat/console.html", {"staff_section": "chat"})


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_required let the request in
    return request.user


def _image_send(
    request: HttpRequest, conversation: Conversation, *, key: str, agent: bool
) -> JsonResponse:
    if (
        consume(request, app="allauth.account", action="chat_attachment", key=key, user=None)
        is None
    ):
        return JsonResponse(
            {"error": _("Too many images: wait a few minutes, then try again.")}, status=429
        )
    upload = request.FILES.get("image")
    if not isinstance(upload, UploadedFile):
        return JsonResponse({"error": _("Send a PNG, JPEG or WebP image.")}, status=400)
    try:
        message = attachment_post(
            conversation=conversation, upload=upload, agent=_staff(request) if agent else None
        )
    except services.ChatRefused as refusal:
        return JsonResponse({"error": str(refusal)}, status=400)
    async_to_sync(events.message_announce)(message)
    return JsonResponse({"seq": message.seq})


@never_cache
@require_POST
def customer_image(request: HttpRequest) -> JsonResponse:
    """The customer sends an image in this browser's chat (multipart, with the CSRF token)."""
    user = request.user if request.user.is_authenticated else None
    conversation = selectors.conversation_for_customer(user=user, session=request.session)
    if conversation is None:
        raise Http404("No chat in this browser")
    return _image_send(request, conversation, key=request.session.session_key or "", agent=False)


@require_POST
@staff_required("chat.answer_chat")
def agent_image(request: HttpRequest, conversation_id: int) -> JsonResponse:
    """The agent sends an image in one of their chats."""
    conversation = selectors.conversation_for_agent(
        agent=_staff(request), conversation_id=conversation_id
    )
    if conversation is None:
        raise Http404("Not one of this agent's chats")
    return _image_send(request, conversation, key=f"staff-{request.user.pk}", agent=True)


@never_cache
@require_GET
def attachment(request: HttpRequest, message_id: int) -> FileResponse:
    """An image of a chat, for its customer (this browser's chat) or its agent only."""
    message = selectors.attachment_for(
        user=request.user, session=request.session, message_id=message_id
    )
    if message is None:
        raise Http404("No such image")
    response = FileResponse(message.attachment.open("rb"), content_type=message.attachment_type)
    response["Content-Disposition"] = "inline"
    return response
