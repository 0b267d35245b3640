"""The satellite's Wyoming connection on fuzzed controllers: no crash, no hang, bounded memory,
the runtime keeps running and the next `describe` is still answered. Real sockets, the real
runtime (a silent WAV as the mic, a directory of WAVs as the speaker)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from wyoming.info import Info

from protocol.aio import cancel_and_wait
from satellite.connection import SatelliteConnection
from satellite.runtime import SatelliteRuntime
from satellite.settings import MicSettings, SatelliteSettings, SndSettings
from satellite.vad import speech_detector
from testing.audio import write_wav
from testing.fuzz import FuzzHarness, fuzz_settings, streams


def _silent_wav(path: Path) -> Path:
    write_wav(path, bytes(3200), 16000)
    return path


def test_fuzzed_controllers_never_crash_hang_or_stop_the_satellite(tmp_path: Path) -> None:
    config = SatelliteSettings(
        name="fuzz",
        zeroconf=False,
        mic=MicSettings(wav=_silent_wav(tmp_path / "mic.wav")),
        snd=SndSettings(wav_dir=tmp_path / "played"),
    )
    satellite = SatelliteRuntime(config, None, speech_detector(config.vad), "fuzz")
    harness = FuzzHarness(
        lambda peer, writer, limits: SatelliteConnection(peer, writer, limits, satellite, Info())
    )
    with harness.serving():
        running = harness.loop.create_task(satellite.serve())
        try:

            @fuzz_settings(25, 2000)
            @given(stream=streams)
            def play(stream: bytes) -> None:
                harness.check(stream)
                assert not running.done(), "the satellite's runtime stopped"

            play()
        finally:
            harness.run(cancel_and_wait(running, 10))
