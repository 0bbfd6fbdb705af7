"""With the SIP server (`make sip`), seed_demo prints how to register the demo subscriber's two
lines with plugline-device, one answering and the other calling it, with keys that work."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from plugline.devices import keys
from plugline.devices.models import Device
from plugline.telephony.models import SipAccount

pytestmark = pytest.mark.django_db

LINE = re.compile(
    r"(?P<number>\+1\d{10}): \.venv/bin/plugline-device --serial (?P<serial>\S+) "
    r"--key (?P<key>\S+) --register (?P<flags>.+)"
)


@pytest.fixture(autouse=True)
def _demo_mode(settings) -> None:
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_prints_how_the_demo_lines_register_and_call_each_other(settings):
    settings.KAMAILIO_RPC_URL = "http://127.0.0.1:5064/RPC"

    lines = {match["serial"]: match for match in LINE.finditer(seed())}

    assert set(lines) == {"PL1000000147", "PL1000000148"}
    assert lines["PL1000000147"]["flags"] == "--answer"
    assert lines["PL1000000148"]["flags"] == "--call 2125550147"
    for serial, line in lines.items():
        device = Device.objects.get(serial=serial)
        assert device.phone_number == line["number"]
        assert SipAccount.objects.filter(device=device).exists()
        signature = keys.presence_sign(device_key=line["key"], challenge="demo-challenge")
        assert keys.presence_signature_is_valid(
            public_key=device.public_key, challenge="demo-challenge", signature=signature
        )


def test_it_prints_no_line_to_register_without_the_sip_server(settings):
    settings.KAMAILIO_RPC_URL = ""
    assert not LINE.search(seed())


def test_the_readme_gives_the_same_demo_lines(settings):
    settings.KAMAILIO_RPC_URL = "http://127.0.0.1:5064/RPC"
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")

    lines = list(LINE.finditer(seed()))

    assert len(lines) == 2
    for line in lines:
        assert f"--serial {line['serial']} --key {line['key']} --register " in readme
