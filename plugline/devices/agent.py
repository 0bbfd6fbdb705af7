"""plugline-device: plays a plugged-in device (or its softphone) on this computer.

    plugline-device --serial S --key K [--port 7447] [--portal http://127.0.0.1:$PORT]
    plugline-device --serial S --key K --check
    plugline-device --serial S --key K --register [--answer] [--call NUMBER [--hangup-after N]]

It answers on 127.0.0.1 only, as the real device's driver does, so that the
portal's activation page open in this computer's browser can detect it:

    GET  /v1/device     -> {"serial": ...}
    POST /v1/presence   {"challenge": ...} -> {"serial": ..., "signature": ...}

The browser relays the server's one-time challenge here and the signature
back to the server, which checks it against the device's public key. A page
from another address gets a refusal it can read and nothing else
({"error": "origin_refused"}: no serial, no signature), so that a portal
served on an address the agent was not started for can say so.
`--check` asks the portal's device API for the device's own status instead.
`--register` puts the device's line on the operator's SIP server instead,
with baresip (see plugline.devices.agent_phone): it answers incoming calls
with `--answer`, and places a call with `--call`.

It needs no Django settings (only devices.keys, for signing) and never
prints or logs its key. The key may come from PLUGLINE_DEVICE_KEY instead
of --key, which keeps it out of the process list.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from plugline.devices.agent_phone import PhoneError, phone_run, sip_settings_fetch
from plugline.devices.keys import BadDeviceKey, presence_sign, public_key_from_device_key

# The same variable and default as the portal's settings.DEVICE_AGENT_PORT.
DEFAULT_PORT = 7447
# The portal's port when PORT is not set: the one `make run` serves on by default.
DEFAULT_PORTAL_PORT = 8000
ORIGIN_REFUSED = "origin_refused"
MAX_BODY = 4096
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def origin_of(url: str) -> str:
    """The browser's Origin for a page under `url` (scheme://host[:port], default port left out)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) address: {url!r}")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{host}{port}"


def default_portals() -> list[str]:
    """The portal `make run` serves on this computer: on PORT, as the portal itself is."""
    raw = os.environ.get("PORT", "").strip() or str(DEFAULT_PORTAL_PORT)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"PORT must be a port number, not {raw!r}")
    return [f"http://127.0.0.1:{int(raw)}", f"http://localhost:{int(raw)}"]


class AgentServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, port: int, serial: str, device_key: str, origins: set[str]) -> None:
        self.serial = serial
        self.device_key = device_key
        self.origins = origins
        super().__init__(("127.0.0.1", port), AgentHandler)


class AgentHandler(BaseHTTPRequestHandler):
    server: AgentServer
    server_version = "plugline-device"
    sys_version = ""

    # Which web pages may talk to the agent. Only the portal's origin gets
    # CORS headers, so only the portal's pages can read the agent's answers:
    # if any website could, a page the device's owner happens to visit could
    # relay a challenge that the attacker got from the portal for this serial
    # and send back the signature, and so "detect" the victim's device in the
    # attacker's own activation wizard and try to claim it.
    def _origin_allowed(self) -> bool:
        return self.headers.get("Origin") in self.server.origins

    def _host_allowed(self) -> bool:
        # Against DNS rebinding: a hostile name that resolves to 127.0.0.1
        # would make its pages same-origin with the agent (no CORS at all),
        # but its requests still carry its own name in Host.
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        return host in LOOPBACK_HOSTS

    def _cross_origin_refused(self) -> bool:
        # A request without Origin comes from a program on this computer (a
        # browser sends one with every cross-origin request and every POST).
        origin = self.headers.get("Origin")
        return origin is not None and not self._origin_allowed()

    def _cors_headers(self, *, readable: bool = False) -> None:
        self.send_header("Vary", "Origin")
        if self._origin_allowed() or readable:
            self.send_header("Access-Control-Allow-Origin", self.headers["Origin"])

    def _send_json(
        self, status: HTTPStatus, payload: dict[str, Any], *, readable: bool = False
    ) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self._cors_headers(readable=readable)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self, status: HTTPStatus, error: str) -> None:
        self._send_json(status, {"error": error})

    def _refuse_origin(self) -> None:
        # The one answer another origin may read: that it is refused, so that
        # a portal on an address the agent was not started for (another port,
        # say) can tell the customer how to start it, rather than blame the
        # device. It says nothing else: no serial, no signature.
        self._send_json(HTTPStatus.FORBIDDEN, {"error": ORIGIN_REFUSED}, readable=True)

    def do_OPTIONS(self) -> None:
        """The browser's preflight before a cross-origin POST with a JSON body."""
        if not self._host_allowed() or not self._origin_allowed():
            # No CORS headers: the browser will not send the real request.
            self.send_response(HTTPStatus.FORBIDDEN)
            self.send_header("Vary", "Origin")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(HTTPStatus.NO_CONTENT)
        self._cors_headers()
        self.send_header("Access-Control-Allow-Methods", "GET, POST")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Access-Control-Max-Age", "600")
        # Private Network Access: a page from a public address asks before
        # talking to one on this computer; the agent says yes to the portal.
        if self.headers.get("Access-Control-Request-Private-Network") == "true":
            self.send_header("Access-Control-Allow-Private-Network", "true")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        if not self._host_allowed():
            self._refuse(HTTPStatus.FORBIDDEN, "forbidden")
        elif self._cross_origin_refused():
            self._refuse_origin()
        elif self.path == "/v1/device":
            self._send_json(HTTPStatus.OK, {"serial": self.server.serial})
        else:
            self._refuse(HTTPStatus.NOT_FOUND, "not found")

    def do_POST(self) -> None:
        if not self._host_allowed():
            self._refuse(HTTPStatus.FORBIDDEN, "forbidden")
            return
        if self._cross_origin_refused():
            self._refuse_origin()
            return
        if self.path != "/v1/presence":
            self._refuse(HTTPStatus.NOT_FOUND, "not found")
            return
        # Only JSON: a form or text/plain POST (which a browser sends
        # cross-origin without asking first) is refused.
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON")
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self._refuse(HTTPStatus.BAD_REQUEST, "bad length")
            return
        try:
            challenge = json.loads(self.rfile.read(length))["challenge"]
        except (ValueError, KeyError, TypeError):
            challenge = None
        if not isinstance(challenge, str) or not challenge.isascii() or not challenge:
            self._refuse(HTTPStatus.BAD_REQUEST, 'send {"challenge": ...}')
            return
        signature = presence_sign(device_key=self.server.device_key, challenge=challenge)
        self._send_json(HTTPStatus.OK, {"serial": self.server.serial, "signature": signature})

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # One line per request: never the key, the challenge or the signature.
        headers = getattr(self, "headers", None)  # none when the request line was bad
        origin = headers.get("Origin", "-") if headers else "-"
        status = code.value if isinstance(code, HTTPStatus) else code
        sys.stderr.write(
            f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {self.address_string()} "
            f'"{self.command} {self.path}" {status} origin={origin}\n'
        )

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {format % args}\n")


def _post_json(url: str, payload: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 (the portal's address, http or https)
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"{}")
        except ValueError:
            return error.code, {}


def check(*, portal: str, serial: str, device_key: str) -> int:
    """Ask the portal for this device's status (challenge, signature, status); exit code."""
    api = portal.rstrip("/") + "/api/v1/device"
    try:
        status, answer = _post_json(f"{api}/challenge", {"serial": serial})
        if status != HTTPStatus.OK:
            print(f"The portal refused a challenge ({status}): {answer.get('detail', '')}")
            return 1
        signature = presence_sign(device_key=device_key, challenge=answer["challenge"])
        status, answer = _post_json(
            f"{api}/status",
            {"serial": serial, "challenge": answer["challenge"], "signature": signature},
        )
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"Could not reach the portal at {portal}: {error}")
        return 2
    if status != HTTPStatus.OK:
        print(f"The portal did not accept this device ({status}): {answer.get('detail', '')}")
        return 1
    print(f"serial: {serial}")
    print(f"model: {answer['model']}")
    print(f"status: {answer['status']}")
    print(f"phone number: {answer['phone_number'] or '-'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plugline-device",
        description="Play a plugged-in Plugline device so that the portal can detect it.",
    )
    parser.add_argument("--serial", required=True, help="the device's serial number")
    parser.add_argument(
        "--key",
        default=os.environ.get("PLUGLINE_DEVICE_KEY"),
        help="the device key (or set PLUGLINE_DEVICE_KEY)",
    )
    parser.add_argument(
        "--port",
        type=int,
        # A string, so that argparse reports a bad DEVICE_AGENT_PORT like a bad --port.
        default=os.environ.get("DEVICE_AGENT_PORT") or str(DEFAULT_PORT),
        help=f"port on 127.0.0.1 (default: DEVICE_AGENT_PORT or {DEFAULT_PORT}; 0: any free port)",
    )
    parser.add_argument(
        "--portal",
        action="append",
        help="the portal's address; its pages may detect the device (repeatable; default: "
        f"http://127.0.0.1:$PORT and http://localhost:$PORT, PORT by default "
        f"{DEFAULT_PORTAL_PORT})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="ask the portal for this device's status, print it and exit",
    )
    phone = parser.add_argument_group("the phone line (needs baresip)")
    phone.add_argument(
        "--register",
        action="store_true",
        help="fetch the device's SIP settings from the portal and register its line, until Ctrl-C",
    )
    phone.add_argument(
        "--answer", action="store_true", help="with --register: answer incoming calls"
    )
    phone.add_argument(
        "--call",
        metavar="NUMBER",
        help="with --register: call NUMBER (any common format) and exit when the call ends",
    )
    phone.add_argument(
        "--hangup-after",
        type=float,
        metavar="SECONDS",
        help="with --call: hang up this many seconds after the call is answered",
    )
    return parser


def register(
    *,
    portal: str,
    serial: str,
    device_key: str,
    answer: bool,
    call: str | None,
    hangup_after: float | None,
) -> int:
    """The device's line registered with baresip; placing `call` if given. Exit code."""
    try:
        sip = sip_settings_fetch(
            portal=portal, serial=serial, device_key=device_key, post_json=_post_json
        )
        return phone_run(
            sip=sip,
            answer=answer,
            call=call,
            hangup_after=hangup_after,
            say=lambda line: print(f"plugline-device: {line}", flush=True),
        )
    except PhoneError as error:
        print(f"plugline-device: {error}", flush=True)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (args.call or args.answer or args.hangup_after is not None) and not args.register:
        print("plugline-device: --call, --answer and --hangup-after go with --register")
        return 2
    if not args.key:
        print("plugline-device: give the device key with --key or PLUGLINE_DEVICE_KEY")
        return 2
    try:
        public_key_from_device_key(args.key)
    except (BadDeviceKey, ValueError):
        print("plugline-device: that is not a device key (32 bytes, url-safe base64)")
        return 2
    try:
        portals = args.portal or default_portals()
        origins = {origin_of(portal) for portal in portals}
    except ValueError as error:
        print(f"plugline-device: {error}")
        return 2
    if args.check:
        return check(portal=portals[0], serial=args.serial, device_key=args.key)
    if args.register:
        return register(
            portal=portals[0],
            serial=args.serial,
            device_key=args.key,
            answer=args.answer,
            call=args.call,
            hangup_after=args.hangup_after,
        )
    try:
        server = AgentServer(
            port=args.port, serial=args.serial, device_key=args.key, origins=origins
        )
    except OSError as error:
        print(f"plugline-device: cannot listen on 127.0.0.1:{args.port}: {error}")
        return 1
    port = server.server_address[1]
    print(
        f"plugline-device: device {args.serial} listening on http://127.0.0.1:{port} "
        f"for {', '.join(sorted(origins))}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
