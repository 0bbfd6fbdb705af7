"""Whether the phone line runs on this server, for every page that says so.

Plugline knows the phone line runs when it can reach Kamailio's RPC
(KAMAILIO_RPC_URL is set): `make run` leaves it empty, `make sip` sets it.
"""

from django.conf import settings
from django.http import HttpRequest


def telephony(request: HttpRequest) -> dict[str, object]:
    return {"TELEPHONY_RUNNING": bool(settings.KAMAILIO_RPC_URL)}
