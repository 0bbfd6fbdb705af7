"""Benchmark of the signed-in pages, served as in production (a script, not a test).

    DATABASE_URL=postgres://user:pass@host:5432/db REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/pages.py [--seconds 5] [--rounds 3] [--connections 8]

Creates a throwaway database beside DATABASE_URL's (dropped at the end),
migrates it, collects the static files and seeds the demo (`seed_demo`: a
subscriber with two devices, plans, 360 stores). Then serves, one at a time,
under granian with --workers WSGI workers of --threads threads (DEBUG off,
sessions in Redis, requests marked as coming through the TLS proxy as nginx
would):

- Plugline, signed in as the demo subscriber (a real sign-in through the
  sign-in page): "My account" (`/`), a device's page, the renew page, store
  search, and the sign-in page itself (signed out);
- the references (bench/pages_reference.py): a minimal Django page rendering
  a 12-row template through `startproject`'s middleware, and a bare WSGI
  callable.

Each is loaded with wrk for --seconds, alternating, --rounds times. Prints
the median requests per second of each and the median of its ratios to the
minimal Django page of the same round. Exits 1 if "My account" does less
than half of the minimal page.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from throwaway import database_drop

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "plugline-demo"  # the demo's own, printed by `make run`
DEMO_SERIAL = "PL1000000147"
# Threads of each granian worker, by default one: a request at a time in each worker
# process, as production's gunicorn serves (deploy/). With 4, every signed-in page
# was slower on two cores (threads waiting for the GIL after each read of PostgreSQL
# or Redis), the minimal page no faster; --threads to compare.
THREADS = 1
GOAL = 0.5  # "My account" against the minimal Django page


@dataclass(frozen=True)
class Target:
    label: str
    server: str  # "plugline", "minimal" or "bare"
    path: str
    signed_in: bool = False


TARGETS = [
    Target('"My account" /', "plugline", "/", signed_in=True),
    Target("device page", "plugline", f"/devices/{DEMO_SERIAL}/", signed_in=True),
    Target("renew page", "plugline", "/renew/", signed_in=True),
    Target("store search", "plugline", "/stores/?" + urlencode({"q": "10001"}), signed_in=True),
    Target("sign-in page", "plugline", "/accounts/login/"),
    Target("minimal Django page", "minimal", "/"),
    Target("bare WSGI callable", "bare", "/"),
]
REFERENCE = "minimal Django page"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="load of each page per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each page once a round")
    parser.add_argument("--connections", type=int, default=8, help="wrk's open connections")
    parser.add_argument("--workers", type=int, default=2, help="granian's worker processes")
    parser.add_argument(
        "--threads", type=int, default=THREADS, help="granian's blocking threads per worker"
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    return parser.parse_args()


def main() -> None:
    args = parse()
    # Stopped from outside: still stop the servers and drop the database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/pages.py needs DATABASE_URL naming a PostgreSQL database")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("bench/pages.py needs REDIS_URL (sessions and cache, as in production)")
    if shutil.which("wrk") is None:
        raise SystemExit("bench/pages.py needs wrk (Debian: apt-get install wrk)")
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
        # As behind nginx: the requests say they came over HTTPS (X-Forwarded-Proto).
        "BEHIND_TLS_PROXY": "1",
        "TRUSTED_PROXY_COUNT": "0",
        "METRICS_ENABLED": "0",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": var_dir,
        "DJANGO_SETTINGS_MODULE": "plugline.settings",
    }
    try:
        prepare(env)
        run(args, env)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        if not args.keep:
            database_drop(admin, name)
        admin.close()


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run(  # noqa: S603 (this interpreter, our own command)
        [sys.executable, str(ROOT / "manage.py"), *command],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def prepare(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    # seed_demo makes known passwords, so it runs only with DEBUG on.
    manage({**env, "DEBUG": "1"}, "seed_demo")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """granian serving one WSGI application on a free port of 127.0.0.1."""

    def __init__(self, kind: str, env: dict[str, str], workers: int, threads: int) -> None:
        self.port = free_port()
        target, extra = {
            "plugline": ("plugline.wsgi:application", {}),
            "minimal": (
                "django.core.wsgi:get_wsgi_application",
                {"DJANGO_SETTINGS_MODULE": "pages_reference", "PYTHONPATH": str(BENCH)},
            ),
            "bare": ("pages_reference:bare", {"PYTHONPATH": str(BENCH)}),
        }[kind]
        command = [
            str(Path(sys.executable).parent / "granian"),
            "--interface",
            "wsgi",
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        if kind == "minimal":
            command.append("--factory")
        self.process = subprocess.Popen(  # noqa: S603 (granian from this virtualenv)
            [*command, target], env={**env, **extra}, cwd=ROOT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.request("GET", "/", {})
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"granian did not start {kind}") from None
                time.sleep(0.2)

    def request(
        self, method: str, path: str, headers: dict[str, str], body: str | None = None
    ) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body=body, headers={**HEADERS, **headers})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Accept-Language": "en"}


def cookies_of(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def sign_in(server: Server) -> str:
    """Signs the demo subscriber in through the sign-in page; the Cookie header it gets."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/accounts/login/", headers=HEADERS)
    page = connection.getresponse()
    html = page.read().decode()
    cookies = cookies_of(page)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if page.status != 200 or match is None:
        raise SystemExit(f"the sign-in page answered {page.status} without its form")
    origin = f"https://{HEADERS['Host']}"
    connection.request(
        "POST",
        "/accounts/login/",
        body=urlencode(
            {"csrfmiddlewaretoken": match[1], "login": DEMO_EMAIL, "password": DEMO_PASSWORD}
        ),
        headers={
            **HEADERS,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
        },
    )
    answer = connection.getresponse()
    answer.read()
    cookies.update(cookies_of(answer))
    if answer.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"signing in answered {answer.status}, not a redirect with a session")
    # Then the page it redirects to, as a browser would: it shows "signed in" once and
    # deletes the message's cookie (sent again, it would be shown on every request).
    connection.request(
        "GET",
        answer.headers["Location"],
        headers={**HEADERS, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
    )
    landing = connection.getresponse()
    landing.read()
    connection.close()
    cookies.update(cookies_of(landing))
    return "; ".join(f"{k}={v}" for k, v in cookies.items() if v and v != '""')


def check(server: Server, target: Target, cookie: str) -> None:
    """The page answers 200 as it should (signed in, not sent to the sign-in page)."""
    response = server.request("GET", target.path, {"Cookie": cookie} if target.signed_in else {})
    if response.status != 200:
        raise SystemExit(f"{target.label} ({target.path}) answered {response.status}, not 200")


def load(
    server: Server,
    target: Target,
    cookie: str,
    args: argparse.Namespace,
    *,
    seconds: int | None = None,
) -> float:
    """Requests per second wrk gets from the page in --seconds; every answer must be 2xx."""
    headers = [*HEADERS.items()]
    if target.signed_in:
        headers.append(("Cookie", cookie))
    command = ["wrk", "--threads", "1", "--connections", str(args.connections)]
    command += ["--duration", f"{seconds or args.seconds}s"]
    for name, value in headers:
        command += ["--header", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{server.port}{target.path}")
    report = subprocess.run(  # noqa: S603 (wrk, our own arguments)
        command, capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in report or "Socket errors" in report:
        raise SystemExit(f"{target.label}: some answers were not 2xx:\n{report}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", report)
    if rate is None:
        raise SystemExit(f"wrk gave no rate for {target.label}:\n{report}")
    return float(rate[1])


def run(args: argparse.Namespace, env: dict[str, str]) -> None:
    rates: dict[str, list[float]] = {target.label: [] for target in TARGETS}
    print(
        f"granian --interface wsgi --workers {args.workers} --blocking-threads {args.threads}; "
        f"wrk 1 thread, {args.connections} connections, "
        f"{args.seconds} s a page, {args.rounds} rounds"
    )
    servers: dict[str, Server] = {}
    try:
        for kind in ("plugline", "minimal", "bare"):
            servers[kind] = Server(kind, env, args.workers, args.threads)
        cookie = sign_in(servers["plugline"])
        for target in TARGETS:
            check(servers[target.server], target, cookie)
            load(servers[target.server], target, cookie, args, seconds=1)  # warm-up
        for round_number in range(args.rounds):
            for target in TARGETS:
                server = servers[target.server]
                rates[target.label].append(load(server, target, cookie, args))
                check(server, target, cookie)  # still answered 200 (still signed in)
            load_1, load_5, _ = os.getloadavg()
            print(
                f"round {round_number + 1} of {args.rounds} done "
                f"(machine's load average {load_1:.1f}, {load_5:.1f})",
                flush=True,
            )
    finally:
        for server in servers.values():
            server.stop()
    # Each page against the minimal page of the same round (measured seconds apart), then
    # the median over the rounds: steadier than two medians when other work shares the machine.
    print(f"{'page':<22} {'req/s (median)':>15} {'each round':>24} {'/ minimal (median)':>19}")
    ratios = {}
    for target in TARGETS:
        each = rates[target.label]
        ratios[target.label] = statistics.median(
            rate / reference for rate, reference in zip(each, rates[REFERENCE], strict=True)
        )
        print(
            f"{target.label:<22} {statistics.median(each):>15.0f} "
            f"{' '.join(f'{rate:.0f}' for rate in each):>24} {ratios[target.label]:>19.3f}"
        )
    account = ratios[TARGETS[0].label]
    if account < GOAL:
        print(f'"My account" at {account:.3f} of the minimal page: below {GOAL}', file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
