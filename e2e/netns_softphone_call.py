"""A browser softphone call, end to end, in a network namespace of its own (WebRTC ignores
the loopback interface: the namespace has a veth pair, 198.18.0.1 and 198.18.0.2, for the
browser's ICE candidates and rtpengine's media).

Not collected by a plain `pytest` run (its name does not start with test_): the PostgreSQL
pass runs it through plugline/telephony/tests/test_softphone_call_postgres.py, which makes
the namespace, relays PostgreSQL and Redis into it and runs this file there.

Alice's page (headless Chromium, a fake microphone playing recorded speech) calls Bob's phone
(baresip: answers by itself, sends its own tone, records what it hears) through Kamailio's
WebSocket and rtpengine (deploy/rtpengine/rtpengine.conf); then Bob calls Alice's page back,
which rings with his number and is answered. Audio is measured both ways in each call:
Bob's recording of the page is not silence, the page's received level (an AnalyserNode on
the remote stream) is well above silence, and the page's RTP packets sent and received are
counted from its peer connection's statistics.
"""

from __future__ import annotations

import os
import wave
from array import array
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from playwright.sync_api import Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from conftest import PASSWORD, make_subscriber
from e2e.conftest import LAUNCH_ARGS, chromium_executable
from e2e.helpers import sign_in
from plugline.telephony.callrecords import call_records_import
from plugline.telephony.kamailio_run import Softphone, running_rtpengine
from plugline.telephony.models import CallOutcome, CallRecord
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.tests.calls import Phone, baresip_phone, wait_for
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    ROLE,
    RunningKamailio,
    free_port,
    role_dsn,
    role_password,
    running_kamailio,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings, make_line

pytestmark = pytest.mark.django_db(transaction=True)

MEDIA_ADDRESS = os.environ.get("SOFTPHONE_MEDIA_ADDRESS", "198.18.0.1")
SECRET = "softphone-call-secret"
GREETING = Path(__file__).resolve().parents[1] / "plugline" / "voicemail" / "greetings" / "en.wav"


def speech(path: Path) -> Path:
    """Chromium's fake microphone: the English voicemail greeting (speech: the browser's
    noise suppression would flatten a steady tone), 48 kHz 16-bit mono, as Chromium reads
    it; Chromium loops it."""
    with wave.open(str(GREETING)) as greeting:
        assert (greeting.getframerate(), greeting.getnchannels()) == (8000, 1)
        samples = array("h", greeting.readframes(greeting.getnframes()))
    upsampled = array("h", (sample for sample in samples for _ in range(6)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(upsampled.tobytes())
    return path


@pytest.fixture
def kamailio(settings, django_db_blocker) -> Iterator[RunningKamailio]:
    with django_db_blocker.unblock():
        sip_database_role_grant(connection, role=ROLE, password=role_password())
        dsn = role_dsn()
    ws_port = free_port()
    with running_rtpengine(interface=MEDIA_ADDRESS) as rtpengine:
        softphone = Softphone(ws_port=ws_port, secret=SECRET, rtpengine_sock=rtpengine.control)
        with running_kamailio(db_url=dsn, domain=DOMAIN, softphone=softphone) as running:
            settings.SIP_DOMAIN = DOMAIN
            settings.SIP_WS_URL = f"ws://127.0.0.1:{ws_port}"
            settings.SIP_EPHEMERAL_SECRET = SECRET
            try:
                yield running
            finally:
                print(running.log()[-20000:])
                print(rtpengine.log())


@pytest.fixture
def browser_page(live_server: LiveServer, tmp_path: Path) -> Iterator[Page]:
    microphone = speech(tmp_path / "microphone.wav")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(),
            headless=True,
            args=[
                *LAUNCH_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={microphone}",
                "--autoplay-policy=no-user-gesture-required",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
            ],
        )
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(30_000)
        # The page's peer connections, kept for the test to read their RTP statistics.
        context.add_init_script(
            "window.__pcs = []; const P = window.RTCPeerConnection;"
            "window.RTCPeerConnection = function (...a) { const pc = new P(...a);"
            " window.__pcs.push(pc); return pc; };"
            "window.RTCPeerConnection.prototype = P.prototype;"
        )
        page = context.new_page()
        page.on("console", lambda message: print("browser:", message.text))
        try:
            yield page
        finally:
            browser.close()


def bob_phone(kamailio: RunningKamailio) -> tuple[Line, AbstractContextManager[Phone]]:
    bob = make_line(
        make_subscriber("bob@example.com", numbers=()).user,
        serial="PLS10000002",
        number="+12125550148",
    )
    sip = fetch_sip_settings(Client(), bob.boxed).json()
    return bob, baresip_phone(
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        proxy=kamailio.address,
        answer=True,
    )


# RTP packets the page's calls sent and received (its peer connections' statistics).
RTP_PACKETS = """async () => {
  const counts = { sent: 0, received: 0 };
  for (const pc of window.__pcs) {
    (await pc.getStats()).forEach((stats) => {
      if (stats.kind === "audio" && stats.type === "outbound-rtp") {
        counts.sent += stats.packetsSent;
      }
      if (stats.kind === "audio" && stats.type === "inbound-rtp") {
        counts.received += stats.packetsReceived;
      }
      if (stats.type === "transport") counts.dtls = stats.dtlsState;
    });
  }
  return counts;
}"""


# The page's received level: the peak of the remote stream over a second (0 to 1).
RECEIVED_PEAK = """async () => {
  const audio = document.getElementById("softphone-remote");
  const context = new AudioContext();
  await context.resume();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(audio.srcObject).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let peak = 0;
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    analyser.getFloatTimeDomainData(samples);
    for (const s of samples) peak = Math.max(peak, Math.abs(s));
  }
  await context.close();
  return peak;
}"""


def _call_carries_audio_both_ways(page: Page, bob: Phone, *, recorded_before: int) -> None:
    """Both ends hear each other: Bob's phone records two seconds of the page's microphone,
    and the page plays Bob's tone (its level, and RTP packets counted both ways)."""
    wait_for(
        lambda: bob.recorded_bytes() - recorded_before > 32_000,
        what="two seconds of the page's audio received by Bob's phone",
        details=lambda: f"{bob.output()}\nthe page's RTP: {page.evaluate(RTP_PACKETS)}",
    )
    peak = page.evaluate(RECEIVED_PEAK)
    assert peak > 0.05, f"the page hears nothing from Bob's phone (peak {peak})"
    packets = page.evaluate(RTP_PACKETS)
    assert packets["sent"] > 50 and packets["received"] > 50, packets


def test_a_browser_calls_a_phone_and_is_called_back_with_audio_both_ways(
    kamailio: RunningKamailio, browser_page: Page
):
    alice = make_subscriber(numbers=())
    alice_line = make_line(alice.user)
    bob_line, phone = bob_phone(kamailio)
    with phone as bob:
        wait_for(bob.registered, what="Bob's phone registered", details=bob.output)
        page = browser_page
        sign_in(page, alice.email, PASSWORD)
        page.goto(f"/devices/{alice_line.serial}/softphone/")
        status = page.get_by_role("status")
        expect(status).to_contain_text("Ready", timeout=30_000)

        # Alice's page calls Bob's phone, which answers by itself.
        page.get_by_label("Number to call").fill("(212) 555-0148")
        page.get_by_role("button", name="Call", exact=True).click()
        wait_for(
            lambda: "Call established" in bob.output(),
            what="Bob's phone answered the browser",
            details=lambda: bob.output() + kamailio.log()[-5000:],
        )
        expect(status).to_contain_text("In a call with")
        _call_carries_audio_both_ways(page, bob, recorded_before=0)
        page.get_by_role("button", name="Hang up").click()
        expect(status).to_contain_text("The call has ended")
        wait_for(
            lambda: "Call terminated" in bob.output() or "session closed" in bob.output(),
            what="Bob's phone hung up by the browser",
            details=bob.output,
        )

        # Bob calls back: the page rings, Alice answers.
        recorded = bob.recorded_bytes()
        bob.dial(f"sip:2125550147@{DOMAIN}")
        ringing = page.get_by_role("group", name="Incoming call from (212) 555-0148")
        expect(ringing).to_be_visible()
        ringing.get_by_role("button", name="Answer").click()
        expect(status).to_contain_text("In a call with")
        wait_for(
            lambda: bob.output().count("Call established") == 2,
            what="the call back established on Bob's phone",
            details=bob.output,
        )
        _call_carries_audio_both_ways(page, bob, recorded_before=recorded)
        page.get_by_role("button", name="Hang up").click()
        expect(status).to_contain_text("The call has ended")
        bob.stop()

        # Each call's recording on Bob's phone is the page's audio, not silence.
        heard = bob.received_audio_seconds_each()
        assert len(heard) == 2 and min(heard) >= 1.5, heard

    # The page's calls are the line's: in its call history like the device's own.
    call_records_import()
    device = alice_line.boxed.device
    calls = list(
        CallRecord.objects.filter(Q(caller_device=device) | Q(callee_device=device)).order_by(
            "started_at"
        )
    )
    assert [(call.caller_device_id, call.callee_device_id, call.outcome) for call in calls] == [
        (device.pk, bob_line.boxed.device.pk, CallOutcome.ANSWERED),
        (bob_line.boxed.device.pk, device.pk, CallOutcome.ANSWERED),
    ]
    assert all(call.duration_seconds >= 2 for call in calls), calls
