"""The load test through the deployment, with a kill drill (a script, not a test).

    DATABASE_URL=postgres://user:pass@127.0.0.1:5432/db REDIS_URL=redis://127.0.0.1:6379/15 \\
        .venv/bin/python bench/load.py [--duration 120] [--users 40] [--subscribers 200]

Starts, on free ports of 127.0.0.1, what deploy/ runs in production: nginx
from deploy/nginx/plugline.conf (a self-signed certificate in a temporary
folder) in front of TWO gunicorn web processes (the site's upstream with
both), two task workers (`manage.py db_worker`), the scheduler, on a
throwaway PostgreSQL database beside DATABASE_URL's (dropped at the end) and
REDIS_URL's database (emptied first: name one nothing else uses), and a
local SMTP server (aiosmtpd, 100 ms an email) to which the outbox really
delivers. It seeds --subscribers subscribers, each with two devices, a card
on file, activated Re-Up cards, and the demo's stores.

Then:

1. rate limits: a burst of wrong passwords for one account from one client
   through nginx, which sends it to both web processes in turn; the refusal
   comes at the same try as with one process (allauth's login_failed,
   10 a minute per identifier), whichever process answers;
2. load: locust, headless, --users subscribers for --duration seconds
   (bench/load_locust.py: sign in, My account, renew and pay with the
   sandbox gateway, redeem a Re-Up card, find a store);
3. kill drill, at half time: SIGKILL one web process (gunicorn and its
   workers) and one task worker while it runs a task, then start them
   again 2 seconds later, as systemd would (Restart=on-failure,
   RestartSec=2);
4. after the load: wait until every email is delivered and every payment
   settled (the scheduler's jobs do it: a worker killed while delivering
   leaves its email to the outbox sweep once its claim has run out, 5
   minutes), then check.

Prints, per journey, requests, p50/p99 and throughput, errors; and the
drill's checks: no request failed but those in flight at the kill, no
idempotency key charged twice by the sandbox gateway and no payment without
its charge, every paid item and redeemed card added its period once, every
email in the outbox sent and received by the SMTP server.
Exits 1 on any failure. Refuses SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email import message_from_bytes
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from throwaway import database_drop

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "plugline.conf"
CERTIFICATE = "/etc/letsencrypt/live/portal.example.net/fullchain.pem"
CERTIFICATE_KEY = "/etc/letsencrypt/live/portal.example.net/privkey.pem"
# The seeded subscribers' password (a throwaway database's).
PASSWORD = "load-test-password-1"
# Fewer than the 10 redemptions an hour an account may try (REUP_REDEEM_RATE_LIMITS).
PINS_PER_SUBSCRIBER = 8
# As deploy/systemd/plugline-web.service's RestartSec.
RESTART_SECONDS = 2.0
# What the outbox needs at most to deliver an email whose worker was killed:
# its claim (notifications.services.CLAIM_TIMEOUT), then the next minute's sweep.
DRAIN_SECONDS = 8 * 60


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--users", type=int, default=40, help="simulated subscribers at once")
    parser.add_argument("--subscribers", type=int, default=200, help="subscribers seeded")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per process")
    parser.add_argument(
        "--smtp-latency-ms", type=int, default=100, help="the SMTP server's time per email"
    )
    parser.add_argument("--no-drill", action="store_true", help="no kill drill")
    parser.add_argument("--keep", action="store_true", help="keep the database and the folder")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, service: Service) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert service.process is not None
        if service.process.poll() is not None:
            raise SystemExit(f"{service.name} stopped (exit {service.process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{service.name} does not answer on {port}")


# --- The SMTP server the outbox delivers to ------------------------------------------------


@dataclass
class Mailbox:
    """What the SMTP server received: the outbox message ids (X-Plugline-Message)."""

    latency: float = 0.0
    received: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # A real SMTP server takes a moment: a worker killed in the drill may be holding an email.
        await asyncio.sleep(self.latency)
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.received[str(message.get("X-Plugline-Message", ""))] += 1
        return "250 OK"


# --- The processes -----------------------------------------------------------------------


@dataclass
class Service:
    """One long-running process, started in its own process group so it can be killed whole."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own commands)
                self.argv,
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the process and everything it started (gunicorn's workers too)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def nginx_config(folder: Path, *, https_port: int, http_port: int, web_ports: list[int]) -> Path:
    """deploy/'s site as shipped, but for its ports, certificate, static folder and upstreams."""
    from plugline.core.certificates import self_signed_certificate

    cert_path, key_path = self_signed_certificate(folder, common_name="127.0.0.1")
    text = SITE.read_text()
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in web_ports)
    for shipped, here in (
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("    server 127.0.0.1:8000;\n", servers),
        ("/var/lib/plugline/static/", f"{folder}/var/static/"),
        (CERTIFICATE, str(cert_path)),
        (CERTIFICATE_KEY, str(key_path)),
    ):
        if shipped not in text:
            raise SystemExit(f"deploy/nginx/plugline.conf no longer has {shipped!r}")
        text = text.replace(shipped, here)
    (folder / "plugline.conf").write_text(text)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"pid {folder}/nginx.pid;\n"
        f"error_log {folder}/nginx-error.log;\n"
        "worker_processes 1;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        # Which upstream answered: the rate-limit check reads it.
        '    log_format load \'$remote_addr "$request" $status $upstream_addr '
        '"$http_user_agent"\';\n'
        f"    access_log {folder}/nginx-access.log load;\n"
        f"    client_body_temp_path {folder}/body;\n"
        f"    proxy_temp_path {folder}/proxy;\n"
        f"    include {folder}/plugline.conf;\n"
        "}\n"
    )
    if os.geteuid() == 0:
        # As root nginx's workers would run as nobody, who cannot read this folder.
        conf.write_text("user root;\n" + conf.read_text())
    return conf


def nginx_binary() -> str:
    for folder in (*os.environ.get("PATH", "").split(os.pathsep), "/usr/sbin", "/sbin"):
        candidate = Path(folder) / "nginx"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise SystemExit("nginx is not installed (apt-get install nginx)")


# --- Seeding -----------------------------------------------------------------------------


def seed(count: int) -> list[dict[str, Any]]:
    """`count` subscribers: two active devices each, a Visa on file, activated Re-Up cards."""
    import hashlib

    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from plugline.accounts.models import User
    from plugline.billing.models import (
        CustomerAccount,
        PaymentMethod,
        Plan,
        PlanPrice,
        Subscription,
    )
    from plugline.devices.models import Device, DeviceModel, DeviceStatus
    from plugline.reup.models import RetailerApiKey
    from plugline.reup.pins import pin_hash
    from plugline.reup.services import batch_create, card_activate
    from plugline.sandbox_gateway import services as psp
    from plugline.sandbox_gateway.models import SandboxCard, SandboxCustomer
    from plugline.stores.importing import demo_stores_import
    from plugline.stores.models import RetailChain

    demo_stores_import()
    psp.config_set(latency_ms=0, webhooks_enabled=False, timeout_rate=0, failure_rate=0)
    now = timezone.now()
    password = make_password(PASSWORD)
    with transaction.atomic():
        plan, _ = Plan.objects.get_or_create(
            code="year", defaults={"name": "1 year", "months": 12, "autorenew_allowed": True}
        )
        PlanPrice.objects.get_or_create(plan=plan, currency="USD", defaults={"amount": 4999})
        model, _ = DeviceModel.objects.get_or_create(code="load", defaults={"name": "Load"})
        users = User.objects.bulk_create(
            User(
                email=f"load-{i}@load.example",
                original_email=f"load-{i}@load.example",
                password=password,
            )
            for i in range(count)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
        )
        devices = Device.objects.bulk_create(
            Device(serial=f"LOAD{i:06d}{k}", model=model, status=DeviceStatus.ACTIVE, owner=u)
            for i, u in enumerate(users)
            for k in range(2)
        )
        Subscription.objects.bulk_create(
            Subscription(device=d, ends_at=now + dt.timedelta(days=30), plan=plan) for d in devices
        )
        customers = SandboxCustomer.objects.bulk_create(
            SandboxCustomer(id=f"cus_load_{i}", email=u.email, idempotency_key=f"load-{i}")
            for i, u in enumerate(users)
        )
        CustomerAccount.objects.bulk_create(
            CustomerAccount(user=u, gateway="sandbox", gateway_customer_id=c.id)
            for u, c in zip(users, customers, strict=True)
        )
        SandboxCard.objects.bulk_create(
            SandboxCard(
                token=f"tok_load_{i}",
                customer=c,
                brand="Visa",
                last4="4242",
                exp_month=12,
                exp_year=now.year + 5,
                fingerprint=f"fp_load_{i}",
                behaviour="succeed",
            )
            for i, c in enumerate(customers)
        )
        PaymentMethod.objects.bulk_create(
            PaymentMethod(
                user=u,
                gateway="sandbox",
                token=f"tok_load_{i}",
                brand="Visa",
                last4="4242",
                exp_month=12,
                exp_year=now.year + 5,
                is_default=True,
            )
            for i, u in enumerate(users)
        )
        # Re-Up cards sold at a till: each subscriber knows the PINs of its own.
        chain = RetailChain.objects.order_by("pk").first()
        assert chain is not None, "the demo stores have no chain"
        key = RetailerApiKey.objects.create(
            chain=chain,
            name="Load test till",
            prefix="load",
            secret_hash=hashlib.sha256(b"load-test-till").hexdigest(),
        )
        batch = batch_create(chain=chain, plan=plan, count=count * PINS_PER_SUBSCRIBER)
        batch.exported_at = now
        batch.save(update_fields=["exported_at"])
        pins: dict[int, list[str]] = defaultdict(list)
        for number, card in enumerate(batch.cards.order_by("pk")):
            pin = f"{7000_0000_0000_0000 + number:016d}"
            card.pin_hash = pin_hash(pin)
            card.save(update_fields=["pin_hash"])
            card_activate(key=key, serial=card.serial)
            pins[number % count].append(pin)
    return [
        {
            "email": u.email,
            "devices": [f"LOAD{i:06d}{k}" for k in range(2)],
            "pins": pins[i],
        }
        for i, u in enumerate(users)
    ]


# --- The rate limit across both web processes ----------------------------------------------


def rate_limit_burst(base: str, folder: Path, email: str) -> tuple[bool, str]:
    """Wrong passwords for one account from one client; the try refused, and who answered."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    jar = CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(jar)
    )
    agent = f"plugline-load-burst-{uuid.uuid4().hex[:8]}"
    headers = {"User-Agent": agent, "Accept-Language": "en", "Origin": base}
    page = opener.open(
        urllib.request.Request(base + "/accounts/login/", headers=headers)  # noqa: S310
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    assert token is not None
    refused_at = 0
    for attempt in range(1, 16):
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "login": email, "password": "wrong-password"}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (https, to this run's nginx)
            base + "/accounts/login/",
            data=body,
            headers={**headers, "Referer": base + "/accounts/login/"},
        )
        try:
            html = opener.open(request).read().decode()
        except urllib.error.HTTPError as error:
            html = error.read().decode()
        if "Too many failed" in html:
            refused_at = attempt
            break
    time.sleep(1.5)  # nginx writes its access log line after the answer
    answered = [
        line.split()[-2]
        for line in (folder / "nginx-access.log").read_text().splitlines()
        if agent in line and '"POST /accounts/login/' in line
    ]
    upstreams = sorted(set(answered))
    summary = (
        f"wrong passwords for one account from one client: refused at try {refused_at} "
        f"(limit 10 a minute per identifier); tries answered by {len(upstreams)} web processes "
        f"({', '.join(f'{u}: {answered.count(u)}' for u in upstreams)})"
    )
    return refused_at == 11 and len(upstreams) == 2, summary


# --- The run -----------------------------------------------------------------------------


def main() -> None:
    args = parse()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/load.py needs DATABASE_URL naming a PostgreSQL database")
    if args.users >= args.subscribers:
        raise SystemExit("--subscribers must be more than --users (each user is one subscriber)")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("bench/load.py needs REDIS_URL (the rate limits shared by both processes)")
    locust = Path(sys.executable).parent / "locust"
    if not locust.exists() or importlib.util.find_spec("aiosmtpd") is None:
        raise SystemExit(
            "bench/load.py needs locust and aiosmtpd: .venv/bin/pip install -e '.[bench]'"
        )
    if shutil.which("nginx") is None:
        raise SystemExit("bench/load.py needs nginx (Debian: apt-get install nginx)")
    import redis

    # The rate limits and sessions of an earlier run (same user ids, same addresses)
    # would count in this one: REDIS_URL names a Redis database the run may empty.
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    name = f"plugline_load_{uuid.uuid4().hex[:8]}"
    load_url = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    import psycopg

    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    folder = Path(tempfile.mkdtemp(prefix="plugline-load-"))
    (folder / "var").mkdir()
    services: list[Service] = []
    failed = True
    try:
        failed = run(args, folder, load_url, services)
    finally:
        for service in services:
            service.stop()
        from django.db import connections

        try:
            connections.close_all()
        except Exception as error:  # Django never set up: nothing to close.
            print(f"closing: {error}", file=sys.stderr)
        if not args.keep:
            database_drop(admin, name)
        admin.close()
        if args.keep or failed:
            print(f"logs: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    raise SystemExit(1 if failed else 0)


def run(args: argparse.Namespace, folder: Path, database_url: str, services: list[Service]) -> bool:
    from aiosmtpd.controller import Controller

    https_port, http_port, smtp_port = free_port(), free_port(), free_port()
    web_ports = [free_port(), free_port()]
    base = f"https://127.0.0.1:{https_port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": base,
        "SITE_URL": base,
        "VAR_DIR": str(folder / "var"),
        "TRUSTED_PROXY_COUNT": "1",
        "BEHIND_TLS_PROXY": "1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
        "LOG_FORMAT": "json",
        "DJANGO_SETTINGS_MODULE": "plugline.settings",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    mailbox = Mailbox(latency=args.smtp_latency_ms / 1000)
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        started = time.monotonic()
        subscribers = seed(args.subscribers)
        print(
            f"seeded {len(subscribers)} subscribers (2 devices, a card on file, "
            f"{PINS_PER_SUBSCRIBER} Re-Up cards each) in {time.monotonic() - started:.0f} s"
        )
        python, manage = sys.executable, str(ROOT / "manage.py")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        for index, port in enumerate(web_ports, start=1):
            services.append(
                Service(
                    f"web {index}",
                    # deploy/systemd/plugline-web.service's command, on this port.
                    [
                        gunicorn,
                        "plugline.wsgi",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        str(args.web_workers),
                        "--timeout",
                        "60",
                        "--graceful-timeout",
                        "30",
                        "--forwarded-allow-ips",
                        "127.0.0.1",
                    ],
                    env,
                    folder / f"web{index}.log",
                )
            )
        for index in (1, 2):
            services.append(
                Service(
                    f"worker {index}",
                    [
                        python,
                        manage,
                        "db_worker",
                        "--queue-name",
                        "*",
                        "--worker-id",
                        f"load-worker-{index}",
                    ],
                    env,
                    folder / f"worker{index}.log",
                )
            )
        services.append(
            Service("scheduler", [python, manage, "run_scheduler"], env, folder / "scheduler.log")
        )
        conf = nginx_config(folder, https_port=https_port, http_port=http_port, web_ports=web_ports)
        services.append(
            Service(
                "nginx",
                [nginx_binary(), "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                env,
                folder / "nginx.log",
            )
        )
        for service in services:
            service.start()
        web = {service.name: service for service in services}
        for index, port in enumerate(web_ports, start=1):
            wait_for_port(port, web[f"web {index}"])
        wait_for_port(https_port, web["nginx"])

        burst_ok, burst = rate_limit_burst(base, folder, subscribers[-1]["email"])
        print(burst)
        return load(args, folder, base, env, services, subscribers[:-1], mailbox) or not burst_ok
    finally:
        smtp.stop()


def load(
    args: argparse.Namespace,
    folder: Path,
    base: str,
    env: dict[str, str],
    services: list[Service],
    subscribers: list[dict[str, Any]],
    mailbox: Mailbox,
) -> bool:
    """Run locust with the drill in the middle, then check. True if anything failed."""
    named = {service.name: service for service in services}
    request_log = folder / "requests.jsonl"
    locust = subprocess.Popen(  # noqa: S603 (our own command)
        [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            str(ROOT / "bench" / "load_locust.py"),
            "--headless",
            "--only-summary",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(max(1, args.users // 10)),
            "--run-time",
            f"{args.duration}s",
            "--stop-timeout",
            "30",
            "--host",
            base,
        ],
        env={
            **env,
            "LOAD_SUBSCRIBERS": json.dumps(subscribers),
            "LOAD_PASSWORD": PASSWORD,
            "LOAD_REQUEST_LOG": str(request_log),
        },
        cwd=ROOT,
        stdout=(folder / "locust.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    started = time.time()
    kills: list[float] = []
    if not args.no_drill:
        time.sleep(args.duration / 2)
        # Worker 1 is killed while it runs a task, if it takes one within 15 seconds.
        holding = worker_task("load-worker-1", wait=15)
        kills.append(time.time())
        named["web 1"].kill()
        named["worker 1"].kill()
        kills.append(time.time())
        print(
            f"kill drill at {kills[0] - started:.0f} s: SIGKILL web 1 (gunicorn and its "
            f"workers) and worker 1 ({'running ' + holding if holding else 'idle'}); "
            f"both started again {RESTART_SECONDS:.0f} s later"
        )
        time.sleep(RESTART_SECONDS)
        named["web 1"].start()
        named["worker 1"].start()
    locust.wait()
    elapsed = time.time() - started
    if not request_log.exists() or locust.returncode not in (0, 1):
        # 1 is locust's answer to any failed request, in flight at the kill included.
        print(f"FAILED: locust stopped with {locust.returncode}: see {folder / 'locust.log'}")
        return True
    # The machine's own load (other work beside this run counts too).
    print(
        f"load average at the end: {' '.join(f'{n:.1f}' for n in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs"
    )
    failed = report(request_log, kills, min(elapsed, args.duration))
    passed_on = [
        line
        for line in (folder / "nginx-access.log").read_text().splitlines()
        if re.search(r" \d{3} [\d.:]+, ", line)
    ]
    print(
        f"requests nginx passed on to the other web process (proxy_next_upstream): "
        f"{len(passed_on)}" + "".join(f"\n  {line}" for line in passed_on[:10])
    )
    return drill_checks(mailbox) or failed


def worker_task(worker_id: str, *, wait: float) -> str:
    """The task `worker_id` is running (waiting up to `wait` seconds for one), or ""."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        running = (
            DBTaskResult.objects.filter(status="RUNNING", worker_ids__contains=[worker_id])
            .values_list("task_path", flat=True)
            .first()
        )
        if running:
            return running
        time.sleep(0.005)
    return ""


def report(request_log: Path, kills: list[float], seconds: float) -> bool:
    """Each journey's figures; True if a request failed that was not in flight at the kill."""
    logged = [json.loads(line) for line in request_log.read_text().splitlines()]
    rows = [row for row in logged if row.get("kind") != "journey"]
    done = Counter(row["journey"] for row in logged if row.get("kind") == "journey" and row["ok"])
    in_flight = (min(kills), max(kills)) if kills else None
    by_journey: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_journey[row["journey"]].append(row)
    print(
        f"\n{'journey':<20} {'done':>5} {'done/s':>7} {'requests':>8} {'req/s':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
    )
    errors: list[dict[str, Any]] = []
    lost_in_flight: list[dict[str, Any]] = []
    for journey, requests in sorted(by_journey.items()):
        times = sorted((r["end"] - r["start"]) * 1000 for r in requests)
        p50 = times[len(times) // 2]
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        bad = [r for r in requests if r["error"]]
        for r in bad:
            if in_flight and r["start"] <= in_flight[1] and r["end"] >= in_flight[0]:
                lost_in_flight.append(r)
            else:
                errors.append(r)
        print(
            f"{journey:<20} {done[journey]:>5} {done[journey] / seconds:>7.2f} "
            f"{len(requests):>8} {len(requests) / seconds:>6.1f} {p50:>7.0f} {p99:>7.0f} "
            f"{len(bad):>6}"
        )
    times = sorted((r["end"] - r["start"]) * 1000 for r in rows)
    print(
        f"{'all':<20} {sum(done.values()):>5} {sum(done.values()) / seconds:>7.2f} "
        f"{len(rows):>8} {len(rows) / seconds:>6.1f} {times[len(times) // 2]:>7.0f} "
        f"{times[min(len(times) - 1, int(len(times) * 0.99))]:>7.0f}"
    )
    for r in errors[:20]:
        print(f"ERROR {r['method']} {r['name']}: {r['error']}")
    if in_flight:
        window = in_flight
        flying = sum(1 for r in rows if r["start"] <= window[1] and r["end"] >= window[0])
        print(
            f"requests in flight at the kill: {flying}; of them failed: {len(lost_in_flight)} "
            + "; ".join(f"{r['method']} {r['name']} ({r['error']})" for r in lost_in_flight[:5])
        )
    print(f"errors (not in flight at the kill): {len(errors)}")
    return bool(errors)


def drill_checks(mailbox: Mailbox) -> bool:
    """After the load: every email delivered, every payment settled and charged once."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from plugline.billing.models import Payment, PaymentItem, SubscriptionPeriod
    from plugline.notifications.models import OutboxMessage, OutboxStatus
    from plugline.reup.models import ReupCard, ReupCardStatus
    from plugline.sandbox_gateway.models import SandboxCharge

    started = time.monotonic()
    while time.monotonic() - started < DRAIN_SECONDS:
        waiting = OutboxMessage.objects.exclude(status=OutboxStatus.SENT).count()
        unsettled = Payment.objects.exclude(status__in=["succeeded", "declined"]).count()
        if not waiting and not unsettled:
            break
        time.sleep(2)
    drained = time.monotonic() - started
    failures: list[str] = []
    messages = OutboxMessage.objects.count()
    waiting = OutboxMessage.objects.exclude(status=OutboxStatus.SENT).count()
    sent_ids = {str(pk) for pk in OutboxMessage.objects.values_list("pk", flat=True)}
    with mailbox.lock:
        received = dict(mailbox.received)
    missing = sent_ids - set(received)
    twice = sum(1 for pk, n in received.items() if n > 1)
    print(
        f"\nemails: {messages} in the outbox, {messages - waiting} sent, "
        f"{len(sent_ids) - len(missing)} received by the SMTP server ({twice} twice), "
        f"after {drained:.0f} s of draining"
    )
    if waiting or missing:
        failures.append(f"{waiting} emails not sent, {len(missing)} never received")
    keys_twice = (
        SandboxCharge.objects.values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    payments = Payment.objects.count()
    succeeded = Payment.objects.filter(status="succeeded").count()
    statuses = dict(Payment.objects.values_list("status").annotate(n=Count("id")))
    charged = SandboxCharge.objects.filter(status="succeeded").count()
    charged_keys = set(
        SandboxCharge.objects.filter(status="succeeded").values_list("idempotency_key", flat=True)
    )
    paid_keys = set(
        Payment.objects.filter(status="succeeded").values_list("idempotency_key", flat=True)
    )
    print(
        f"payments: {payments} ({statuses}); sandbox charges succeeded: {charged}; "
        f"idempotency keys charged more than once: {keys_twice}; charged but not paid in "
        f"Plugline: {len(charged_keys - paid_keys)}; paid without a charge: "
        f"{len(paid_keys - charged_keys)}"
    )
    if keys_twice or charged_keys != paid_keys or succeeded != charged:
        failures.append("payments and charges differ")
    if payments != sum(statuses.get(s, 0) for s in ("succeeded", "declined")):
        failures.append("payments left unsettled")
    items = PaymentItem.objects.filter(payment__status="succeeded")
    items_count = items.count()
    items_with_period = items.filter(period__isnull=False).count()
    stray_periods = (
        SubscriptionPeriod.objects.filter(payment_item__isnull=False)
        .exclude(payment_item__payment__status="succeeded")
        .count()
    )
    redeemed = ReupCard.objects.filter(status=ReupCardStatus.REDEEMED)
    print(
        f"periods: {items_with_period} of {items_count} paid items extended their device "
        f"(once each: unique in the database), {stray_periods} for an unpaid item; "
        f"Re-Up cards redeemed: {redeemed.count()}, "
        f"{redeemed.filter(period__isnull=True).count()} without their period"
    )
    if items_with_period != items_count or stray_periods:
        failures.append("paid items and periods differ")
    if redeemed.filter(period__isnull=True).exists():
        failures.append("a redeemed card added no time")
    left = list(
        DBTaskResult.objects.filter(status="RUNNING").values_list("task_path", "worker_ids")
    )
    print(
        f"tasks left running by a killed worker (never finished; what they did is "
        f"recovered by its own job, e.g. the outbox sweep): {len(left)} {left[:5]}"
    )
    for failure in failures:
        print(f"FAILED: {failure}")
    return bool(failures)


if __name__ == "__main__":
    main()
