"""An uploaded greeting is converted once to what the voicemail server plays (8 kHz mono
16-bit WAV); what cannot be a greeting is refused with the reason."""

from __future__ import annotations

import io
import math
import wave
from array import array

import pytest

from plugline.voicemail.audio import (
    GREETING_MAX_BYTES,
    AudioError,
    greeting_prepare,
    message_from_recording,
    wav_read,
)
from plugline.voicemail.tests.phone import tone_wav, wav_level


def wav(*, rate: int, channels: int, seconds: float, width: int = 2) -> bytes:
    frames = int(rate * seconds)
    if width == 2:
        samples = array(
            "h",
            (
                int(8000 * math.sin(2 * math.pi * 440 * n / rate))
                for n in range(frames)
                for _channel in range(channels)
            ),
        ).tobytes()
    else:  # unsigned 8-bit
        samples = bytes(
            128 + int(60 * math.sin(2 * math.pi * 440 * n / rate))
            for n in range(frames)
            for _channel in range(channels)
        )
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(channels)
        target.setsampwidth(width)
        target.setframerate(rate)
        target.writeframes(samples)
    return out.getvalue()


@pytest.mark.parametrize(
    ("rate", "channels", "width"), [(44100, 2, 2), (48000, 1, 2), (16000, 2, 2), (8000, 1, 1)]
)
def test_it_converts_a_greeting_to_8_khz_mono_16_bit(rate: int, channels: int, width: int):
    prepared = greeting_prepare(wav(rate=rate, channels=channels, seconds=2, width=width))

    with wave.open(io.BytesIO(prepared)) as source:
        assert (source.getframerate(), source.getnchannels(), source.getsampwidth()) == (8000, 1, 2)
        assert source.getnframes() == pytest.approx(16000, abs=10)
    assert wav_level(prepared) > 1000


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"RIFF....WAVEfmt nothing", "not_wav"),
        (b"ID3\x03 an mp3 file", "not_wav"),
        (wav(rate=8000, channels=1, seconds=61), "too_long"),
        (wav(rate=8000, channels=1, seconds=0.2), "silent"),
        (b"\x00" * (GREETING_MAX_BYTES + 1), "too_big"),
    ],
)
def test_it_refuses_what_cannot_be_a_greeting(data: bytes, code: str):
    with pytest.raises(AudioError) as refused:
        greeting_prepare(data)

    assert refused.value.code == code


def test_it_refuses_a_silent_recording():
    silent = io.BytesIO()
    with wave.open(silent, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(8000)
        target.writeframes(b"\x00\x00" * 16000)

    with pytest.raises(AudioError) as refused:
        greeting_prepare(silent.getvalue())

    assert refused.value.code == "silent"


def test_the_message_is_what_was_received_after_the_tone():
    recording = tone_wav(5)

    message = message_from_recording(recording, skip_seconds=2)

    assert message is not None
    assert message.seconds == pytest.approx(3, abs=0.01)
    assert message_from_recording(recording, skip_seconds=4.5) is None
    assert message_from_recording(b"", skip_seconds=0) is None
    assert wav_read(recording).seconds == pytest.approx(5)
