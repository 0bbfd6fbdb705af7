"""Images in a chat: one PNG, JPEG or WebP image per message, recognised by decoding it
with Pillow (never by its name or the browser's word), within CHAT_ATTACHMENT_MAX_BYTES."""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

from plugline.chat.models import AuthorKind, Conversation, Message
from plugline.chat.services import ChatRefused, agent_first_name, message_post

FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    extension: str


def attachment_check(*, upload: UploadedFile) -> CheckedImage:
    """The image's type, or ChatRefused (too large, not an image, another format)."""
    if upload.size is None or upload.size > settings.CHAT_ATTACHMENT_MAX_BYTES:
        raise ChatRefused(
            _("An image may be at most %(size)s.")
            % {"size": filesizeformat(settings.CHAT_ATTACHMENT_MAX_BYTES)}
        )
    refused = ChatRefused(_("Send a PNG, JPEG or WebP image."))
    try:
        with warnings.catch_warnings():
            # A huge picture in a small file (a decompression bomb) is refused, not decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as image:
                found = image.format
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as error:
        raise refused from error
    finally:
        upload.seek(0)
    if found not in FORMATS:
        raise refused
    content_type, extension = FORMATS[found]
    return CheckedImage(content_type=content_type, extension=extension)


@transaction.atomic
def attachment_post(
    *, conversation: Conversation, upload: UploadedFile, agent: AbstractBaseUser | None = None
) -> Message:
    """The image as a message of the conversation: the agent's if `agent`, else the
    customer's. Its name is made here (the uploaded name is never used)."""
    checked = attachment_check(upload=upload)
    name = f"{conversation.pk}-{secrets.token_urlsafe(12)}.{checked.extension}"
    image = (upload, name, checked.content_type)
    if agent is not None:
        return message_post(
            conversation_id=conversation.pk,
            author_kind=AuthorKind.AGENT,
            author=agent,
            author_name=agent_first_name(agent),
            image=image,
        )
    return message_post(
        conversation_id=conversation.pk,
        author_kind=AuthorKind.CUSTOMER,
        author=conversation.customer,
        author_name=conversation.customer_first_name,
        image=image,
    )
