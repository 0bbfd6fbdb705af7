"""Benchmark of live chat (a script, not a test): messages per second delivered, and lost.

    DATABASE_URL=postgres://user:pass@host:5432/db REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/chat.py [--clients 20] [--messages 200] [--rounds 3]

Creates a throwaway database beside DATABASE_URL's (dropped at the end) and migrates
it; an agent (staff, two-factor, the chat permission) and a subscriber are created in
it, each with a signed-in session, and the subscriber's chat is opened. Then two
daphne processes serve Plugline's ASGI application, sharing Redis as the channel layer
(as in production). --clients tabs of the subscriber connect, alternately to one
process and the other; the agent, connected to the first, sends --messages messages
as fast as the server takes them. Each message is saved, numbered and broadcast to
every tab; the round ends when every tab holds every message (or after --timeout).

The reference, in the same run: a bare ASGI WebSocket broadcast (bench/chat_reference.py,
no Django, no database, one process) under daphne, with the same clients and messages.

Prints, per round, the messages per second delivered to the clients (tabs x messages
/ seconds) by each, their ratio, and the messages lost (never delivered, or out of
order): exits 1 if any message was lost.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import websocket
from throwaway import database_drop

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="connected tabs")
    parser.add_argument("--messages", type=int, default=200, help="messages sent each round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each server once a round")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a round may last")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Daphne:
    """daphne serving an ASGI application on a free port of 127.0.0.1."""

    def __init__(self, target: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 (daphne from this virtualenv)
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), target],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,  # daphne's access log
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"daphne did not start {target}") from None
                time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def connect(url: str, port: int, cookie: str = "") -> websocket.WebSocket:
    return websocket.create_connection(
        url, origin=f"http://127.0.0.1:{port}", cookie=cookie or None, timeout=60
    )


class Tab(threading.Thread):
    """One client: counts the messages it receives, in order or not."""

    def __init__(self, sock: websocket.WebSocket, expected: int, plugline: bool) -> None:
        super().__init__(daemon=True)
        self.sock, self.expected, self.plugline = sock, expected, plugline
        self.received: list[int] = []
        self.finished_at = 0.0

    def run(self) -> None:
        try:
            while len(self.received) < self.expected:
                data = json.loads(self.sock.recv())
                if self.plugline:
                    if data.get("type") != "message" or data.get("author") != "agent":
                        continue
                    self.received.append(int(data["text"].split()[-1]))
                else:
                    self.received.append(int(data["n"]))
            self.finished_at = time.monotonic()
        except (websocket.WebSocketException, OSError):
            pass

    def lost(self, first: int) -> int:
        """Messages never received, or received out of order."""
        wanted = list(range(first, first + self.expected))
        in_order = sum(1 for got, want in zip(self.received, wanted, strict=False) if got == want)
        return self.expected - in_order


def setup_django(env: dict[str, str]) -> tuple[str, str, int]:
    """The agent's and the subscriber's session cookies, and the subscriber's chat."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))  # this checkout's plugline, as the servers import it
    import django

    django.setup()
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.test import Client

    from plugline.accounts.models import User
    from plugline.chat import services
    from plugline.chat.models import PresenceStatus
    from plugline.chat.selectors import SESSION_KEY

    agent = User.objects.create_user("agent@bench.example", first_name="Sam", is_staff=True)
    agent.user_permissions.add(Permission.objects.get(codename="answer_chat"))
    Authenticator.objects.create(user=agent, type=Authenticator.Type.TOTP, data={"secret": "x"})
    services.presence_set(agent=agent, status=PresenceStatus.ONLINE, capacity=20)
    agent_browser = Client()
    agent_browser.force_login(agent)
    session = agent_browser.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(agent.pk)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time()},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    session.save()

    customer = User.objects.create_user("customer@bench.example", first_name="Alice")
    conversation = services.conversation_open(user=customer, language="en")
    customer_browser = Client()
    customer_browser.force_login(customer)
    session = customer_browser.session
    session[SESSION_KEY] = conversation.pk
    session.save()
    name = settings.SESSION_COOKIE_NAME
    return (
        f"{name}={agent_browser.cookies[name].value}",
        f"{name}={customer_browser.cookies[name].value}",
        conversation.pk,
    )


def plugline_round(
    servers: list[Daphne],
    agent_cookie: str,
    customer_cookie: str,
    chat: int,
    args: argparse.Namespace,
    first: int,
) -> tuple[float, int]:
    tabs = []
    for n in range(args.clients):
        server = servers[n % len(servers)]
        sock = connect(f"{server.url}/ws/chat/", server.port, customer_cookie)
        sock.send(json.dumps({"type": "resume", "after": 10**9}))  # only what comes next
        tabs.append(Tab(sock, args.messages, plugline=True))
    agent = connect(f"{servers[0].url}/ws/chat/agent/", servers[0].port, agent_cookie)
    time.sleep(1)  # every tab in its groups
    for tab in tabs:
        tab.start()
    started = time.monotonic()
    for n in range(first, first + args.messages):
        agent.send(json.dumps({"type": "message", "conversation": chat, "text": f"m {n}"}))
    return finish(tabs, [agent], started, args, first)


def bare_round(server: Daphne, args: argparse.Namespace, first: int) -> tuple[float, int]:
    tabs = []
    for _ in range(args.clients):
        tabs.append(Tab(connect(server.url, server.port), args.messages, plugline=False))
    sender = connect(server.url, server.port)
    time.sleep(1)
    for tab in tabs:
        tab.start()
    started = time.monotonic()
    for n in range(first, first + args.messages):
        sender.send(json.dumps({"n": n}))
    return finish(tabs, [sender], started, args, first)


def finish(
    tabs: list[Tab],
    senders: list[websocket.WebSocket],
    started: float,
    args: argparse.Namespace,
    first: int,
) -> tuple[float, int]:
    for tab in tabs:
        tab.join(timeout=max(0.0, started + args.timeout - time.monotonic()))
    ended = max((tab.finished_at for tab in tabs if tab.finished_at), default=time.monotonic())
    for sock in [*senders, *(tab.sock for tab in tabs)]:
        sock.close()
    delivered = sum(len(tab.received) for tab in tabs)
    lost = sum(tab.lost(first) for tab in tabs)
    return delivered / max(ended - started, 1e-9), lost


def run(args: argparse.Namespace, env: dict[str, str]) -> int:
    agent_cookie, customer_cookie, chat = setup_django(env)
    plugline = [Daphne("plugline.asgi:application", env) for _ in range(2)]
    bare = Daphne("chat_reference:application", {**env, "PYTHONPATH": str(BENCH)})
    # The agent takes the chat once.
    agent = connect(f"{plugline[0].url}/ws/chat/agent/", plugline[0].port, agent_cookie)
    agent.send(json.dumps({"type": "accept", "conversation": chat}))
    time.sleep(1)
    agent.close()
    results: list[tuple[float, float, int]] = []
    lost_total = 0
    try:
        for round_ in range(args.rounds):
            first = round_ * args.messages
            ours, lost = plugline_round(plugline, agent_cookie, customer_cookie, chat, args, first)
            theirs, bare_lost = bare_round(bare, args, first)
            lost_total += lost
            results.append((ours, theirs, lost))
            print(
                f"round {round_ + 1}: Plugline {ours:,.0f} msg/s, bare broadcast "
                f"{theirs:,.0f} msg/s, ratio {ours / theirs:.3f}, lost {lost} "
                f"(bare lost {bare_lost})"
            )
    finally:
        for server in [*plugline, bare]:
            server.stop()
    ratio = statistics.median(ours / theirs for ours, theirs, _ in results)
    print(
        f"{args.clients} clients on 2 ASGI processes sharing Redis, {args.messages} messages "
        f"a round: Plugline {statistics.median(r[0] for r in results):,.0f} msg/s delivered, "
        f"bare ASGI broadcast {statistics.median(r[1] for r in results):,.0f} msg/s; "
        f"ratio {ratio:.3f} (median); lost {lost_total}"
    )
    return 1 if lost_total else 0


def main() -> None:
    args = parse()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/chat.py needs DATABASE_URL naming a PostgreSQL database")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("bench/chat.py needs REDIS_URL (the channel layer, as in production)")
    name = f"plugline_bench_{uuid.uuid4().hex[:8]}"
    var_dir = tempfile.mkdtemp(prefix=f"{name}_")
    import psycopg

    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(urlsplit(url)._replace(path=f"/{name}")),
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
        "EMAIL_HOST": os.environ.get("EMAIL_HOST") or "localhost",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": var_dir,
        # The flood limit is for people; the benchmark's agent sends as fast as it can.
        "CHAT_RATE_MESSAGES": "1000000",
        "DJANGO_SETTINGS_MODULE": "plugline.settings",
    }
    status = 1
    try:
        subprocess.run(  # noqa: S603 (this interpreter, our own command)
            [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        status = run(args, env)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database_drop(admin, name)
        admin.close()
    sys.exit(status)


if __name__ == "__main__":
    main()
