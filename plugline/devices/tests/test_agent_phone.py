"""plugline-device --register without a SIP server: what it dials, and what it says when the
portal has no line for the device or the options do not go together."""

from __future__ import annotations

from typing import Any

import pytest

from plugline.devices.agent import main
from plugline.devices.agent_phone import PhoneError, dial_uri, sip_settings_fetch
from plugline.devices.keys import device_key_generate

DOMAIN = "sip.plugline.test"


@pytest.mark.parametrize(
    ("typed", "uri"),
    [
        ("(212) 555-0148", "sip:2125550148@sip.plugline.test"),
        ("1-212-555-0148", "sip:12125550148@sip.plugline.test"),
        ("+1 212.555.0148", "sip:+12125550148@sip.plugline.test"),
        ("911", "sip:911@sip.plugline.test"),
    ],
)
def test_it_dials_a_number_typed_any_common_way(typed: str, uri: str):
    assert dial_uri(typed, domain=DOMAIN) == uri


@pytest.mark.parametrize("typed", ["alice@example.com", "sip:2125550148@evil.test", "", "12;x"])
def test_it_refuses_to_dial_what_is_not_a_phone_number(typed: str):
    with pytest.raises(PhoneError, match="is not a phone number"):
        dial_uri(typed, domain=DOMAIN)


def test_it_says_why_the_portal_gave_no_sip_settings():
    def portal(url: str, payload: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if url.endswith("/challenge"):
            return 200, {"challenge": "a-challenge"}
        return 404, {"detail": "This device has no phone line yet."}

    with pytest.raises(PhoneError, match=r"\(404\): This device has no phone line yet\."):
        sip_settings_fetch(
            portal="http://127.0.0.1:8000",
            serial="PLG20000001",
            device_key=device_key_generate(),
            post_json=portal,
        )


def test_it_refuses_a_call_without_register(capsys: pytest.CaptureFixture[str]):
    key = device_key_generate()
    assert main(["--serial", "PLG20000001", "--key", key, "--call", "2125550148"]) == 2
    assert "--call, --answer and --hangup-after go with --register" in capsys.readouterr().out
