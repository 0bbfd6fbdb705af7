"""`manage.py voicemail_server`: the voicemail server (plugline.voicemail.server).

Runs baresip (Debian's baresip-core) listening on VOICEMAIL_ADDR for the calls Kamailio
sends to voicemail, and keeps each message left as the line's, until it is stopped
(Ctrl-C or SIGTERM). `make sip` runs it beside Kamailio; in production, the systemd unit
deploy/systemd/plugline-voicemail.service.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plugline.voicemail.server import VoicemailServerError, server_from_settings


class Command(BaseCommand):
    help = (
        "Run the voicemail server: baresip on VOICEMAIL_ADDR (default udp:127.0.0.1:5090), "
        "driven over its control socket; messages are kept as the called line's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", help="host:port to listen on (default VOICEMAIL_ADDR)")
        parser.add_argument(
            "--control-port", type=int, help="baresip's control socket on 127.0.0.1"
        )
        parser.add_argument("--rtp-ports", help="first-last (default VOICEMAIL_RTP_PORTS)")
        parser.add_argument("--rtp-address", help="address (or interface) the SDP offers for media")
        parser.add_argument("--max-seconds", type=int, help="longest message, in seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        overrides = {
            name: options[option]
            for name, option in (
                ("sip_listen", "addr"),
                ("control_port", "control_port"),
                ("rtp_ports", "rtp_ports"),
                ("net_interface", "rtp_address"),
                ("max_seconds", "max_seconds"),
            )
            if options[option] is not None
        }
        server = server_from_settings(say=self.stdout.write, **overrides)
        stop = threading.Event()

        def stopping(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGINT, stopping)
        try:
            server.start()
            server.serve(stop)
        except VoicemailServerError as error:
            raise CommandError(str(error)) from error
        finally:
            server.stop()
