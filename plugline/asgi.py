"""The ASGI application: Django's pages over HTTP, live chat over WebSockets (Channels).

Served by daphne: `runserver` in `make run` (daphne's), `daphne plugline.asgi:application`
in production (deploy/systemd/plugline-asgi.service)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plugline.settings")
# Django is set up before the consumers' modules import models.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from plugline.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # Only pages of this site may open a chat (the browser's Origin among ALLOWED_HOSTS).
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
