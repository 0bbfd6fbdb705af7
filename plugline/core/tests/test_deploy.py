"""deploy/: what an operator installs on Debian is valid as shipped (README "Production").

nginx checks the site (`nginx -t`, with a scratch nginx.conf and a
self-signed certificate made here), systemd checks the units
(`systemd-analyze verify`, with the paths their commands name present: the
install folder /opt/plugline is rewritten to a folder of this test holding
this checkout's manage.py and virtualenv; nothing is started), Kamailio
checks its unit's command line with the example defines (`kamailio -c`),
rtpengine starts with its unit's configuration and answers on its control socket
(every option of the file one that rtpengine knows), and
gunicorn checks the web unit's options (`gunicorn --check-config`), and
the environment template lists exactly the variables settings.py reads.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import secrets
import shlex
import socket
import subprocess
import time
from pathlib import Path

from plugline.core.certificates import self_signed_certificate as certificate_write
from plugline.core.ports import free_port, free_ports
from plugline.core.tests.test_settings import manage
from plugline.telephony.kamailio_run import stop

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
INSTALL_ROOT = "/opt/plugline"
CERTIFICATE = "/etc/letsencrypt/live/portal.example.net/fullchain.pem"
CERTIFICATE_KEY = "/etc/letsencrypt/live/portal.example.net/privkey.pem"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def command(name: str) -> str:
    """The full path of a Debian tool the deploy checks need (.ci/run installs them)."""
    for folder in (*os.environ.get("PATH", "").split(os.pathsep), "/usr/sbin", "/sbin"):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise AssertionError(f"{name} is not installed (apt-get install it, as .ci/run does)")


def settings_variables() -> set[str]:
    """Every environment variable plugline/settings.py reads through plugline.env."""
    tree = ast.parse((ROOT / "plugline" / "settings.py").read_text())
    return {
        str(node.args[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("env_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def env_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """(the variables a file in systemd's EnvironmentFile format sets, every name it lists).

    A line `NAME=value` sets NAME; a commented `# NAME=value` only lists it
    with its default.
    """
    values: dict[str, str] = {}
    listed: list[str] = []
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if not match:
            continue
        listed.append(match.group(2))
        if not match.group(1):
            values[match.group(2)] = match.group(3).strip().removeprefix('"').removesuffix('"')
    return values, listed


def test_it_lists_every_variable_settings_reads_in_the_env_template() -> None:
    _values, listed = env_file(DEPLOY / "plugline.env.example")

    assert sorted(listed) == sorted(set(listed)), "a variable is listed twice"
    assert set(listed) - settings_variables() == set(), "listed but never read"
    assert settings_variables() - set(listed) == set(), "read but missing from the template"


def test_it_passes_the_deployment_checks_with_the_env_template(tmp_path: Path) -> None:
    values, _listed = env_file(DEPLOY / "plugline.env.example")
    values |= {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'plugline.sqlite3'}",
        "VAR_DIR": str(tmp_path),
    }

    result = manage("check", "--deploy", env=values, tmp_path=tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    return certificate_write(folder, common_name="portal.example.net")


def test_it_ships_an_nginx_site_that_nginx_accepts(tmp_path: Path) -> None:
    nginx = command("nginx")
    cert_path, key_path = self_signed_certificate(tmp_path)
    site_text = (DEPLOY / "nginx" / "plugline.conf").read_text()
    assert CERTIFICATE in site_text and CERTIFICATE_KEY in site_text
    site = tmp_path / "plugline.conf"
    site.write_text(
        site_text.replace(CERTIFICATE, str(cert_path)).replace(CERTIFICATE_KEY, str(key_path))
    )
    # What Debian's /etc/nginx/nginx.conf gives a site: the http block around it.
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        f"    access_log {tmp_path}/access.log;\n"
        f"    client_body_temp_path {tmp_path}/body;\n"
        f"    include {site};\n"
        "}\n"
    )

    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "syntax is ok" in output and "test is successful" in output
    assert "[warn]" not in output, output


def installed_units(tmp_path: Path) -> Path:
    """The units as installed, with /opt/plugline a folder of this test holding this checkout."""
    install = tmp_path / "opt" / "plugline"
    install.mkdir(parents=True)
    (install / ".venv").symlink_to((ROOT / ".venv").resolve())
    (install / "manage.py").symlink_to(ROOT / "manage.py")
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS:
        (units / unit.name).write_text(unit.read_text().replace(INSTALL_ROOT, str(install)))
    return units


def test_it_ships_systemd_units_that_systemd_accepts(tmp_path: Path) -> None:
    systemd_analyze = command("systemd-analyze")
    units = installed_units(tmp_path)
    names = sorted(unit.name for unit in units.iterdir())
    assert names == [
        "plugline-asgi.service",
        "plugline-kamailio.service",
        "plugline-rtpengine.service",
        "plugline-scheduler.service",
        "plugline-voicemail.service",
        "plugline-web.service",
        "plugline-worker@.service",
    ]

    result = subprocess.run(
        [systemd_analyze, "verify", *(str(units / name) for name in names)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.strip() == "", output


def test_it_runs_the_commands_make_run_runs() -> None:
    units = {unit.name: unit.read_text() for unit in UNITS}

    assert "manage.py db_worker --queue-name *" in units["plugline-worker@.service"]
    assert "manage.py run_scheduler" in units["plugline-scheduler.service"]
    assert "manage.py voicemail_server" in units["plugline-voicemail.service"]
    assert "gunicorn plugline.wsgi" in units["plugline-web.service"]
    assert "--bind 127.0.0.1:8000" in units["plugline-web.service"]
    assert "server 127.0.0.1:8000;" in (DEPLOY / "nginx" / "plugline.conf").read_text()
    assert "daphne --bind 127.0.0.1 --port 8001" in units["plugline-asgi.service"]
    assert "plugline.asgi:application" in units["plugline-asgi.service"]
    site = (DEPLOY / "nginx" / "plugline.conf").read_text()
    assert "server 127.0.0.1:8001;" in site
    websockets = site[site.index("location /ws/ {") :]
    assert websockets[: websockets.index("}")].count("proxy_pass http://plugline_asgi;") == 1


def unit_command(unit: Path, environment: dict[str, str]) -> list[str]:
    """ExecStart= of a unit as systemd runs it: continued lines joined, ${NAME} replaced."""
    text = unit.read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    words = shlex.split(line.removeprefix("ExecStart="))
    return [
        re.sub(r"\$\{([A-Z_]+)\}", lambda match: environment[match.group(1)], word)
        for word in words
    ]


def test_it_starts_gunicorn_with_options_gunicorn_accepts(tmp_path: Path) -> None:
    arguments = unit_command(DEPLOY / "systemd" / "plugline-web.service", {})
    assert arguments[0] == f"{INSTALL_ROOT}/.venv/bin/gunicorn"
    arguments = [
        word.replace(f"{INSTALL_ROOT}/", f"{ROOT}/").replace("/run/plugline-web", str(tmp_path))
        for word in arguments
    ]

    # --check-config: load the application and check every option, then exit.
    result = subprocess.run(
        [arguments[0], "--check-config", *arguments[1:]],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DEBUG": "1", "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_it_starts_kamailio_with_defines_kamailio_accepts() -> None:
    kamailio = command("kamailio")
    environment, _listed = env_file(DEPLOY / "kamailio" / "kamailio.env.example")
    arguments = unit_command(DEPLOY / "systemd" / "plugline-kamailio.service", environment)
    assert arguments[0] == "/usr/sbin/kamailio"
    assert "/opt/plugline/deploy/kamailio/kamailio.cfg" in arguments
    config = str(DEPLOY / "kamailio" / "kamailio.cfg")
    arguments = [config if word.endswith("/kamailio.cfg") else word for word in arguments]
    # -c checks the configuration with these defines and exits; -DD and -E
    # (foreground, log to the journal) are left out of a check.
    check = [kamailio, "-c", *(word for word in arguments[1:] if word not in ("-DD", "-E"))]

    result = subprocess.run(check, capture_output=True, text=True, timeout=60, check=False)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "config file ok" in output
    assert "udp: 192.0.2.10 [192.0.2.10]:5060" in output
    assert "tcp: 192.0.2.10 [192.0.2.10]:5060" in output
    assert "tcp: 127.0.0.1 [127.0.0.1]:5064" in output
    assert "*: sip.example.net:*" in output
    # The browser softphone's WebSocket listener (nginx proxies wss://<host>/sip to it).
    assert "tcp: 127.0.0.1 [127.0.0.1]:8080" in output


def rtpengine_options(rtpengine: str) -> set[str]:
    """The long options the installed rtpengine knows (its --help), which are also the keys
    its configuration file may set."""
    helped = subprocess.run(
        [rtpengine, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    return set(re.findall(r"--([a-z][a-z0-9-]*)", helped.stdout + helped.stderr))


def test_it_ships_an_rtpengine_configuration_of_options_rtpengine_knows() -> None:
    # rtpengine ignores a key it does not know: a misspelt one would pass unseen.
    parser = configparser.ConfigParser(inline_comment_prefixes=None)
    parser.read(DEPLOY / "rtpengine" / "rtpengine.conf")
    config = parser["rtpengine"]

    assert set(config) - rtpengine_options(command("rtpengine")) == set()
    assert config["table"] == "-1"  # userspace: no kernel module
    assert config["listen-ng"] == "127.0.0.1:2223"  # loopback: no authentication on it
    assert 1024 < int(config["port-min"]) < int(config["port-max"]) <= 65535
    kamailio_env, _listed = env_file(DEPLOY / "kamailio" / "kamailio.env.example")
    assert kamailio_env["RTPENGINE_SOCK"] == f"udp:{config['listen-ng']}"


def ping(port: int, process: subprocess.Popen[bytes]) -> bytes:
    """rtpengine's answer to a ping on its ng control socket (bencode), once it listens."""
    deadline = time.monotonic() + 30
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ng:
        ng.settimeout(0.5)
        while time.monotonic() < deadline and process.poll() is None:
            ng.sendto(b"deploy d7:command4:pinge", ("127.0.0.1", port))
            try:
                return ng.recv(1024)
            except TimeoutError:
                continue
    return b""


def test_it_starts_rtpengine_as_its_unit_does(tmp_path: Path) -> None:
    rtpengine = command("rtpengine")
    environment, _listed = env_file(DEPLOY / "rtpengine" / "rtpengine.env.example")
    arguments = unit_command(DEPLOY / "systemd" / "plugline-rtpengine.service", environment)
    assert arguments[0] == "/usr/bin/rtpengine"
    assert "--config-file=/opt/plugline/deploy/rtpengine/rtpengine.conf" in arguments
    assert "--interface=192.0.2.10" in arguments
    # The unit's command on this machine: the checkout's file, loopback for the example's
    # public address, a scratch pid file, and free ports over the file's.
    control, media = free_port(), free_ports(10, even=True)
    local = {
        "--config-file": str(DEPLOY / "rtpengine" / "rtpengine.conf"),
        "--interface": "127.0.0.1",
        "--pidfile": str(tmp_path / "rtpengine.pid"),
    }
    started = [rtpengine] + [
        f"{name}={local[name]}" if name in local else word
        for word in arguments[1:]
        for name in [word.split("=", 1)[0]]
    ]
    started += [f"--listen-ng=127.0.0.1:{control}", f"--port-min={media}"]
    started += [f"--port-max={media + 9}"]
    log_path = tmp_path / "rtpengine.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            started, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        answer = ping(control, process)
    finally:
        stop(process)

    output = log_path.read_text(errors="replace")
    assert b"d6:result4:ponge" in answer, output
    assert "Startup complete" in output, output
