"""The stop word cuts an answer that is playing, and the controller still hears `played`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from protocol.audio import PcmFormat
from protocol.trigger import WakeHit
from satellite.messages import (
    WakeHeard,
)
from satellite.runtime import SatelliteRuntime
from satellite.settings import MicSettings, SatelliteSettings, SndSettings, WakeSettings
from satellite.vad import speech_detector

from .conftest import until


async def test_stop_word_interrupts_playback_but_not_idle_listening(tmp_path: Path) -> None:
    out = tmp_path / "snd.raw"
    settings = SatelliteSettings(
        mic=MicSettings(command="true"),
        snd=SndSettings(command=f"{sys.executable} -m testing.pcm_pipe snd --out {out}"),
        wake=WakeSettings(words=("hey_jarvis",), stop_word="alexa"),
    )
    satellite = SatelliteRuntime(settings, None, speech_detector(settings.vad), "test")
    events: list[dict[str, object]] = []
    satellite.on_event = lambda event: events.append(event.as_json())
    stop = WakeHeard(WakeHit("alexa", "Alexa", 0.9, 1000))

    await satellite.apply(stop)  # nothing playing: nothing to stop
    assert events == []

    player = asyncio.create_task(satellite.speaker.run())
    try:
        satellite.speaker.start_stream(PcmFormat(22050, 2, 1), report=True)
        satellite.speaker.feed(bytes(2 * 22050 * 10))  # a 10 s answer
        satellite.speaker.end_stream()
        await until(lambda: out.exists() and out.stat().st_size > 0, 5)
        await satellite.apply(stop)
        await until(lambda: any(e["type"] == "played" for e in events), 3)
    finally:
        player.cancel()
        await asyncio.gather(player, return_exceptions=True)
    assert [e["type"] for e in events] == ["stop", "played"]
    assert events[0]["name"] == "alexa" and out.stat().st_size < 2 * 22050 * 3
