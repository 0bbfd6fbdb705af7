"""Images in a chat: checked by decoding them, and shown only to the chat's two people."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from conftest import Subscriber
from plugline.chat import services
from plugline.chat.models import Message, PresenceStatus
from plugline.chat.tests.helpers import agent_client, customer_client, make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def image(kind: str = "PNG", name: str = "screenshot.png", size: int = 40) -> SimpleUploadedFile:
    """An image of random pixels (which no format compresses much)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def chat(alice: Subscriber):
    agent = make_agent("sam@example.com")
    agents = agent_client(agent)
    customer = customer_client(alice.user)
    assert customer.post("/chat/start/").status_code == 200
    conversation = alice.user.chat_conversations.get()
    services.conversation_accept(conversation_id=conversation.pk, agent=agent)
    return customer, agents, conversation


def test_it_shows_an_image_to_the_chats_customer_and_agent_only(chat, bob: Subscriber):
    customer, agents, conversation = chat
    response = customer.post("/chat/image/", {"image": image("JPEG", "photo.jpg")})
    assert response.status_code == 200, response.content
    message = Message.objects.get(conversation=conversation, author_kind="customer")
    assert message.attachment_type == "image/jpeg"
    assert not message.attachment.name.endswith("photo.jpg")  # its name is made by Plugline
    url = f"/chat/images/{message.pk}/"

    for allowed in (customer, agents):
        shown = allowed.get(url)
        assert shown.status_code == 200
        assert shown["Content-Type"] == "image/jpeg"
        assert Image.open(io.BytesIO(b"".join(shown.streaming_content))).format == "JPEG"

    other_agent = make_agent("kim@example.com")
    services.presence_set(agent=other_agent, status=PresenceStatus.ONLINE)
    for stranger in (customer_client(bob.user), Client(), agent_client(other_agent)):
        assert stranger.get(url).status_code == 404


def test_it_lets_the_agent_send_an_image_in_their_chat_only(chat, bob: Subscriber):
    _customer, agents, conversation = chat
    sent = agents.post(f"/staff/chat/{conversation.pk}/image/", {"image": image("WEBP")})
    assert sent.status_code == 200, sent.content
    assert Message.objects.get(author_kind="agent").attachment_type == "image/webp"
    queued = services.conversation_open(user=bob.user, language="fr")
    refused = agents.post(f"/staff/chat/{queued.pk}/image/", {"image": image()})
    assert refused.status_code == 404


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (
            SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png"),
            "Send a PNG, JPEG or WebP image.",
        ),
        (image("GIF", "anim.png"), "Send a PNG, JPEG or WebP image."),
        (image(size=200), "An image may be at most 20.0\xa0KB."),
    ],
)
def test_it_refuses_what_is_not_a_small_png_jpeg_or_webp(chat, settings, upload, error):
    settings.CHAT_ATTACHMENT_MAX_BYTES = 20 * 1024
    customer, _agents, conversation = chat
    response = customer.post("/chat/image/", {"image": upload})
    assert (response.status_code, response.json()["error"]) == (400, error)
    assert not Message.objects.filter(conversation=conversation, author_kind="customer").exists()


def test_it_deletes_the_chats_and_their_images_when_the_account_closes(
    chat, alice: Subscriber, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from plugline.accounts.services import account_close

    customer, _agents, conversation = chat
    customer.post("/chat/image/", {"image": image()})
    name = Message.objects.get(author_kind="customer").attachment.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        account_close(user=alice.user)
    assert not Message.objects.filter(conversation_id=conversation.pk).exists()
    assert not default_storage.exists(name)


def test_it_refuses_an_image_from_a_browser_without_a_chat(alice: Subscriber):
    assert Client().post("/chat/image/", {"image": image()}).status_code == 404


def _bomb() -> SimpleUploadedFile:
    """A PNG of 30,000 x 30,000 pixels in a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(buffer, "PNG")
    return SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")


def _cut(upload: SimpleUploadedFile, keep: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("cut.png", upload.read()[:keep], content_type="image/png")


@pytest.mark.parametrize(
    "posted",
    [
        {"image": SimpleUploadedFile("empty.png", b"", content_type="image/png")},
        {"image": _cut(image(), 60)},
        {"image": _cut(image("JPEG"), 300)},
        {"image": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)},
        {"image": SimpleUploadedFile("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')},
        {"image": SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")},
        {"image": _bomb()},
        {"image": image("TIFF", "photo.jpg")},
        {"image": "not a file"},
        {"picture": image()},
    ],
    ids=lambda posted: str(getattr(next(iter(posted.values())), "name", next(iter(posted)))),
)
def test_it_refuses_uploads_that_are_not_an_image_it_takes_with_a_message(chat, posted):
    customer, _agents, conversation = chat

    response = customer.post("/chat/image/", posted)

    assert response.status_code == 400
    assert response.json()["error"] == "Send a PNG, JPEG or WebP image."
    assert not Message.objects.filter(conversation=conversation, author_kind="customer").exists()
