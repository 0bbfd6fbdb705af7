"""The WAV files of voicemail: greetings as the voicemail server plays them, messages as
baresip recorded them.

The voicemail server's baresip plays 8 kHz mono 16-bit PCM (its `aufile` source wants the
file at the rate and channels of its configuration), so an uploaded greeting is converted to
that once, when it is saved. Reading and writing is the standard `wave` module; conversion
and levels are `audioop` (the standard library's up to Python 3.12, the `audioop-lts`
package's from 3.13 on).
"""

from __future__ import annotations

import io
import warnings
import wave
from dataclasses import dataclass
from pathlib import Path

with warnings.catch_warnings():
    # Deprecated in 3.11 and 3.12 (removed in 3.13, where audioop-lts provides it).
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

# What the voicemail server plays and records.
RATE = 8000
CHANNELS = 1
SAMPLE_WIDTH = 2

GREETINGS = Path(__file__).resolve().parent / "greetings"
BEEP = GREETINGS / "beep.wav"
GREETING_MAX_SECONDS = 60
# What nginx lets through (deploy/nginx/plugline.conf): a minute of 44.1 kHz mono or
# 22 kHz stereo 16-bit PCM.
GREETING_MAX_BYTES = 10 * 1024 * 1024
# A recording shorter than this is a caller who hung up at the tone: no message.
MESSAGE_MIN_SECONDS = 1.0


class AudioError(ValueError):
    """The file is not audio Plugline can use; `code` says why (see GreetingForm)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Pcm:
    """Decoded audio: 16-bit little-endian samples at `rate`, `channels` interleaved."""

    frames: bytes
    rate: int
    channels: int

    @property
    def seconds(self) -> float:
        return len(self.frames) / (SAMPLE_WIDTH * self.channels * self.rate)


def wav_read(data: bytes) -> Pcm:
    """The PCM of a WAV file (8 or 16-bit, mono or stereo), as 16-bit samples.

    Raises AudioError("not_wav") for anything else."""
    try:
        with wave.open(io.BytesIO(data)) as source:
            width, channels, rate = (
                source.getsampwidth(),
                source.getnchannels(),
                source.getframerate(),
            )
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError, ValueError) as error:
        raise AudioError("not_wav") from error
    if width not in (1, 2) or channels not in (1, 2) or not 4000 <= rate <= 96000:
        raise AudioError("not_wav")
    if width == 1:  # WAV's 8-bit samples are unsigned
        frames = audioop.lin2lin(audioop.bias(frames, 1, -128), 1, SAMPLE_WIDTH)
    frames = frames[: len(frames) - len(frames) % (SAMPLE_WIDTH * channels)]
    return Pcm(frames=frames, rate=rate, channels=channels)


def wav_bytes(pcm: Pcm) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(pcm.channels)
        target.setsampwidth(SAMPLE_WIDTH)
        target.setframerate(pcm.rate)
        target.writeframes(pcm.frames)
    return out.getvalue()


def to_line_audio(pcm: Pcm) -> Pcm:
    """`pcm` as the voicemail server plays it: 8 kHz mono 16-bit."""
    frames = pcm.frames
    if pcm.channels == 2:
        frames = audioop.tomono(frames, SAMPLE_WIDTH, 0.5, 0.5)
    if pcm.rate != RATE:
        frames, _state = audioop.ratecv(frames, SAMPLE_WIDTH, 1, pcm.rate, RATE, None)
    return Pcm(frames=frames, rate=RATE, channels=CHANNELS)


def greeting_prepare(data: bytes) -> bytes:
    """An uploaded greeting, checked and converted for the voicemail server (WAV bytes).

    Raises AudioError: "too_big", "not_wav", "too_long", "silent"."""
    if len(data) > GREETING_MAX_BYTES:
        raise AudioError("too_big")
    pcm = wav_read(data)
    if pcm.seconds > GREETING_MAX_SECONDS:
        raise AudioError("too_long")
    if pcm.seconds < 0.5 or level(pcm) < SILENCE_LEVEL:
        raise AudioError("silent")
    return wav_bytes(to_line_audio(pcm))


# RMS of 16-bit samples below which audio is taken for silence.
SILENCE_LEVEL = 100


def level(pcm: Pcm) -> int:
    """The RMS level of the samples (0 for silence, up to 32767)."""
    return audioop.rms(pcm.frames, SAMPLE_WIDTH) if pcm.frames else 0


def default_greeting(language: str) -> bytes:
    """The default greeting in `language` (English if there is none in it)."""
    path = GREETINGS / f"{language}.wav"
    if not path.is_file():
        path = GREETINGS / "en.wav"
    return path.read_bytes()


def prompt_write(*, greeting: bytes, path: Path, record_seconds: int) -> float:
    """Write what the voicemail server plays to a caller: the greeting, the tone, then
    silence while the caller speaks, `record_seconds` of it. When baresip reaches the end of
    the file it ends the call: the silence is the message's length limit.

    Returns the seconds before the tone ends (the part of the recording that is not the
    message)."""
    spoken = to_line_audio(wav_read(greeting))
    tone = to_line_audio(wav_read(BEEP.read_bytes()))
    silence = b"\x00" * (RATE * SAMPLE_WIDTH * record_seconds)
    path.write_bytes(
        wav_bytes(Pcm(frames=spoken.frames + tone.frames + silence, rate=RATE, channels=1))
    )
    return spoken.seconds + tone.seconds


def message_from_recording(recording: bytes, *, skip_seconds: float) -> Pcm | None:
    """The caller's message in baresip's recording of the call: what it received after the
    tone, as 8 kHz mono. None when that is too short to be a message."""
    try:
        pcm = to_line_audio(wav_read(recording))
    except AudioError:
        return None
    skip = int(skip_seconds * RATE) * SAMPLE_WIDTH
    message = Pcm(frames=pcm.frames[skip:], rate=RATE, channels=CHANNELS)
    if message.seconds < MESSAGE_MIN_SECONDS:
        return None
    return message
