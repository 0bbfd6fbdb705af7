"""Recording the voicemail greeting in the browser, on a device's page: with the keyboard
alone, in English, French and Danish, at 360 px, Record, Stop, Listen and Save, each state
announced, and the device's greeting is then the recording (about 2 s, not silent), posted
through the same form as an upload. With the microphone refused, an alert says so.

Chromium's fake microphone plays the repository's English greeting (upsampled to 48 kHz, as
a real microphone would deliver speech) in a loop."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import make_subscriber
from e2e.conftest import ACTION_TIMEOUT_MS, LAUNCH_ARGS, chromium_executable
from e2e.helpers import fits, sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations
from plugline.voicemail.audio import GREETINGS, SILENCE_LEVEL, Pcm, level, wav_bytes, wav_read
from plugline.voicemail.models import Mailbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

WORDS = {
    "en": {
        "record": "Record",
        "stop": "Stop",
        "listen": "Listen",
        "save": "Save the recorded greeting",
        "recording": "Recording…",
        "recorded": "Recorded: 2 s.",
        "saved": "Callers now hear your greeting.",
        "own": "Callers hear your own greeting.",
        "refused": "The browser may not use the microphone, so a greeting cannot be recorded",
    },
    "fr": {
        "record": "Enregistrer",
        "stop": "Arrêter",
        "listen": "Écouter",
        "save": "Garder l’annonce enregistrée",  # noqa: RUF001
        "recording": "Enregistrement…",
        "recorded": "Enregistré\u00a0: 2 s.",
        "saved": "Les appelants entendent désormais votre annonce.",
        "own": "Les appelants entendent votre propre annonce.",
        "refused": "Le navigateur n'a pas le droit d'utiliser le microphone",
    },
    "da": {
        "record": "Optag",
        "stop": "Stop",
        "listen": "Lyt",
        "save": "Gem den optagede velkomstbesked",
        "recording": "Optager…",
        "recorded": "Optaget: 2 s.",
        "saved": "Opkaldere hører nu din velkomstbesked.",
        "own": "Opkaldere hører din egen velkomstbesked.",
        "refused": "Browseren må ikke bruge mikrofonen",
    },
}


@pytest.fixture(scope="module")
def speech_at_48_khz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    english = wav_read((GREETINGS / "en.wav").read_bytes())
    frames, _state = audioop.ratecv(english.frames, 2, english.channels, english.rate, 48000, None)
    path = tmp_path_factory.mktemp("microphone") / "speech-48k.wav"
    path.write_bytes(wav_bytes(Pcm(frames=frames, rate=48000, channels=english.channels)))
    return path


@pytest.fixture(scope="module")
def browser_with_a_microphone(browser: Browser, speech_at_48_khz: Path) -> Iterator[Browser]:
    """Chromium whose microphone plays speech, its permission prompt answered "Allow"."""
    chromium = browser.browser_type.launch(
        executable_path=chromium_executable(),
        headless=True,
        args=[
            *LAUNCH_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={speech_at_48_khz}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def browser_with_a_silent_microphone(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Chromium whose microphone hears nothing at all."""
    path = tmp_path_factory.mktemp("silence") / "silence-48k.wav"
    path.write_bytes(wav_bytes(Pcm(frames=b"\x00\x00" * 48000 * 5, rate=48000, channels=1)))
    chromium = browser.browser_type.launch(
        executable_path=chromium_executable(),
        headless=True,
        args=[
            *LAUNCH_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={path}",
        ],
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def browser_refusing_the_microphone(browser: Browser) -> Iterator[Browser]:
    """Chromium with a fake microphone and no answer to its prompt: the microphone is refused."""
    chromium = browser.browser_type.launch(
        executable_path=chromium_executable(),
        headless=True,
        args=[*LAUNCH_ARGS, "--use-fake-device-for-media-stream"],
    )
    yield chromium
    chromium.close()


def phone_in(browser: Browser, live_server: LiveServer) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 780},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context.new_page()


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_it_records_listens_to_and_saves_a_greeting_by_keyboard_on_a_phone(
    db: None,
    browser_with_a_microphone: Browser,
    live_server: LiveServer,
    settings,
    tmp_path: Path,
    language: str,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    words = WORDS[language]
    subscriber = make_subscriber("claire@example.com", language=language)
    device = subscriber.devices[0]
    page = phone_in(browser_with_a_microphone, live_server)
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")
    recorder = page.locator("#greeting-recorder")
    status = recorder.get_by_role("status")
    expect(recorder.get_by_role("button", name=words["record"], exact=True)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"greeting recorder ({language})")

    tab_to(page, recorder.get_by_role("button", name=words["record"], exact=True), limit=120)
    page.keyboard.press("Enter")
    expect(status).to_contain_text(words["recording"])
    stop = recorder.get_by_role("button", name=words["stop"], exact=True)
    expect(stop).to_be_focused()
    page.wait_for_timeout(2000)
    page.keyboard.press("Enter")

    expect(status).to_contain_text(words["recorded"])
    listen = recorder.get_by_role("button", name=words["listen"], exact=True)
    expect(listen).to_be_focused()
    page.keyboard.press("Enter")
    played = recorder.locator("audio").evaluate(
        """audio => new Promise(resolve => {
            if (audio.readyState >= 1) { resolve(audio.duration); return; }
            audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
        })"""
    )
    assert played == pytest.approx(2, abs=0.5)
    assert fits(page)
    assert_no_axe_violations(page, f"greeting recorded ({language})")

    tab_to(page, recorder.get_by_role("button", name=words["save"], exact=True), limit=10)
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").get_by_text(words["saved"])).to_be_visible()
    expect(page.get_by_text(words["own"])).to_be_visible()
    mailbox = Mailbox.objects.get(device=device)
    with mailbox.greeting.open("rb") as file:
        greeting = wav_read(file.read())
    assert greeting.rate == 8000
    assert greeting.seconds == pytest.approx(2, abs=0.5)
    assert level(greeting) > SILENCE_LEVEL


def test_it_says_when_the_microphone_is_refused_and_keeps_the_upload(
    db: None, browser_refusing_the_microphone: Browser, live_server: LiveServer
) -> None:
    words = WORDS["en"]
    subscriber = make_subscriber("claire@example.com")
    device = subscriber.devices[0]
    page = phone_in(browser_refusing_the_microphone, live_server)
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")
    recorder = page.locator("#greeting-recorder")
    alert = recorder.get_by_role("alert")
    expect(alert).to_have_count(1)  # in the page before anything goes wrong: it is announced

    tab_to(page, recorder.get_by_role("button", name=words["record"], exact=True), limit=120)
    page.keyboard.press("Enter")

    expect(alert).to_contain_text(words["refused"])
    expect(page.get_by_label("Your greeting (WAV file)")).to_be_visible()
    assert not Mailbox.objects.filter(device=device).exclude(greeting="").exists()
    assert fits(page)
    assert_no_axe_violations(page, "greeting recorder, microphone refused")


def test_it_shows_the_servers_refusal_of_a_silent_recording_in_the_recorder(
    db: None,
    browser_with_a_silent_microphone: Browser,
    live_server: LiveServer,
    settings,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    words = WORDS["fr"]
    subscriber = make_subscriber("claire@example.com", language="fr")
    device = subscriber.devices[0]
    page = phone_in(browser_with_a_silent_microphone, live_server)
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")
    recorder = page.locator("#greeting-recorder")

    tab_to(page, recorder.get_by_role("button", name=words["record"], exact=True), limit=120)
    page.keyboard.press("Enter")
    expect(recorder.get_by_role("button", name=words["stop"], exact=True)).to_be_focused()
    page.wait_for_timeout(1500)
    page.keyboard.press("Enter")
    tab_to(page, recorder.get_by_role("button", name=words["save"], exact=True), limit=10)
    page.keyboard.press("Enter")

    # The form's own check, in the user's language, said in the recorder's alert; the
    # recording kept, to listen to or record again.
    alert = recorder.get_by_role("alert")
    expect(alert).to_contain_text("Cet enregistrement est silencieux")
    expect(recorder.get_by_role("button", name=words["record"], exact=True)).to_be_focused()
    expect(recorder.get_by_role("button", name=words["listen"], exact=True)).to_be_enabled()
    assert not Mailbox.objects.filter(device=device).exclude(greeting="").exists()
