"""A device's voicemail in a real browser, on a phone (360 px), with the keyboard alone, in
English, French and Danish, without an axe-core violation: the messages listed, one played
in the page's audio player (which marks it heard), one deleted after its confirmation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from conftest import make_subscriber
from e2e.helpers import fits, sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations
from plugline.devices.models import Device
from plugline.voicemail.models import VoicemailMessage
from plugline.voicemail.tests.phone import tone_wav

WORDS = {
    "en": ("Voicemail", "1 new", "Delete", "Delete the message", "The message is deleted."),
    "fr": (
        "Messagerie vocale",
        "1 nouveau",
        "Supprimer",
        "Supprimer le message",
        "Le message est supprimé.",
    ),
    "da": ("Telefonsvarer", "1 ny", "Slet", "Slet beskeden", "Beskeden er slettet."),
}


def message(device: Device, *, caller: str, hour: int, heard: bool) -> VoicemailMessage:
    made = VoicemailMessage(
        device=device,
        caller=caller,
        received_at=dt.datetime(2026, 3, 1, hour, tzinfo=dt.UTC),
        duration_seconds=2,
        heard=heard,
    )
    made.audio.save("message.wav", ContentFile(tone_wav(2)), save=False)
    made.save()
    return made


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_a_subscriber_plays_and_deletes_voicemail_by_keyboard_on_a_phone(
    db: None, phone_page: Page, language: str, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    heading, new, delete, confirm, done = WORDS[language]
    subscriber = make_subscriber("claire@example.com", language=language)
    device = subscriber.devices[0]
    newest = message(device, caller="+14165550148", hour=10, heard=False)
    older = message(device, caller="+13105550123", hour=9, heard=True)
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")

    voicemail = page.locator("#voicemail")
    expect(voicemail.get_by_role("heading", name=heading)).to_be_visible()
    expect(voicemail.get_by_text(new)).to_be_visible()
    expect(voicemail.locator("audio")).to_have_count(2)
    assert fits(page)
    assert_no_axe_violations(page, f"voicemail ({language})")

    # The player plays the recording the owner-only view serves.
    player = voicemail.locator("audio").first
    tab_to(page, player, limit=80)
    seconds = player.evaluate(
        """audio => new Promise((resolve, reject) => {
            audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
            audio.addEventListener("error", () => reject(audio.error && audio.error.code));
            audio.muted = true;
            audio.play().catch(() => {});
        })"""
    )
    assert seconds == pytest.approx(2, abs=0.1)
    newest.refresh_from_db()
    assert newest.heard

    link = voicemail.get_by_role("link", name=delete).last
    tab_to(page, link, limit=80)
    page.keyboard.press("Enter")
    button = page.get_by_role("button", name=confirm)
    expect(button).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"voicemail delete ({language})")
    tab_to(page, button, limit=40)
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").get_by_text(done)).to_be_visible()
    assert list(VoicemailMessage.objects.filter(device=device)) == [newest]
    assert not VoicemailMessage.objects.filter(pk=older.pk).exists()
    expect(page.locator("#voicemail audio")).to_have_count(1)
