"""Speaking to a satellite: the answer or an announcement, streamed as it is synthesized.

Text is split into clauses; the first clause's audio goes out as soon as it is rendered, at the
voice's own rate (Piper: 22050 Hz, as Home Assistant sends), in 1024-sample chunks, while the
next clause renders. Then we wait for the satellite's `played`, bounded by the audio's length.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from wyoming.audio import AudioChunk, AudioStart
from wyoming.tts import Synthesize, SynthesizeVoice

from protocol.aio import bounded

from ..clauses import split_text
from ..engines.errors import TtsError
from .events import Stage

if TYPE_CHECKING:
    from .run import Run
    from .session import SatelliteSession

_LOGGER = logging.getLogger(__name__)
CHUNK_SAMPLES = 1024


async def speak(
    session: SatelliteSession, text: str, run: Run | None, played: asyncio.Event
) -> float:
    """Synthesize `text` onto the satellite and wait for `played`; returns the audio seconds."""
    tts = session.engines.tts
    if tts is None:
        raise TtsError("service-disabled", "text-to-speech is turned off on this hub")
    voice = tts.voice(None)
    fmt = voice.format
    if run is not None:
        run.emit(Stage.TTS_START, text=text, voice=voice.name)
    synthesize = Synthesize(
        text=text, voice=SynthesizeVoice(name=voice.name, language=voice.language)
    )
    await session.send(synthesize.event())
    played.clear()
    audio_bytes = 0
    step = CHUNK_SAMPLES * fmt.frame_bytes
    start = AudioStart(rate=fmt.rate_hz, width=fmt.width, channels=fmt.channels).event()
    first_audio_s: float | None = None
    for index, piece in enumerate(split_text(text, tts.settings.first_clause_min_chars)):
        pcm = await tts.render(voice, piece, first=index == 0)
        if first_audio_s is None:
            first_audio_s = time.monotonic()
            await session.start_audio_stream(start)
            if run is not None:
                run.emit(Stage.TTS_FIRST_AUDIO, rate_hz=fmt.rate_hz)
        for offset in range(0, len(pcm), step):
            chunk = AudioChunk(
                rate=fmt.rate_hz,
                width=fmt.width,
                channels=fmt.channels,
                audio=pcm[offset : offset + step],
            )
            await session.send(chunk.event())
        audio_bytes += len(pcm)
    if first_audio_s is None:  # nothing to say: still a well-formed, empty stream
        first_audio_s = time.monotonic()
        await session.start_audio_stream(start)
    await session.end_audio_stream()
    audio_s = fmt.seconds(audio_bytes)
    if run is not None:
        run.emit(Stage.TTS_END, audio_s=round(audio_s, 2))
    await _wait_played(session, played, first_audio_s + audio_s - time.monotonic())
    return audio_s


async def _wait_played(session: SatelliteSession, played: asyncio.Event, left_s: float) -> None:
    """Until the satellite says `played`; at most the audio left plus `played_timeout_s`."""
    bound_s = max(0.0, left_s) + session.settings.played_timeout_s
    try:
        await bounded(played.wait(), bound_s)
    except TimeoutError:
        _LOGGER.info(
            "Satellite %s: no `played` within %.1f s; going on as if it had played",
            session.id,
            bound_s,
        )
