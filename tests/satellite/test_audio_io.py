"""The mic queue, the mic command's restarts, and the speaker, with real processes."""

from __future__ import annotations

import asyncio
import sys
import wave
from pathlib import Path

import pytest

from protocol.aio import bounded
from protocol.audio import PcmFormat
from satellite.mic import ChunkQueue, CommandMicrophone, MicChunk, WavMicrophone
from satellite.settings import MicSettings, SndSettings
from satellite.speaker import Speaker
from tests.satellite.conftest import until

TTS = PcmFormat(22050, 2, 1)


def test_a_full_queue_drops_the_oldest_and_counts() -> None:
    queue = ChunkQueue(3)
    for i in range(5):
        queue.put(MicChunk(bytes(2), i))
    assert queue.dropped == 2 and len(queue) == 3

    async def drain() -> list[int]:
        return [(await queue.get()).timestamp_ms for _ in range(3)]

    assert asyncio.run(drain()) == [2, 3, 4]


async def test_a_dying_mic_command_is_restarted_with_backoff() -> None:
    # 0.25 s of 48 kHz stereo audio, then the command exits with an error message.
    command = "sh -c 'head -c 48000 /dev/zero; echo card gone >&2; exit 3'"
    settings = MicSettings(command=command, rate_hz=48000, channels=2, restart_max_s=1)
    queue = ChunkQueue(1000)
    statuses: list[bool] = []
    mic = CommandMicrophone(settings, queue, statuses.append)
    task = asyncio.create_task(mic.run())
    try:
        await until(lambda: not (mic.restarts < 3), 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert statuses[:4] == [True, False, True, False]
    assert not mic.ok
    # Each run's 0.25 s of 48 kHz stereo arrives as 0.25 s of 16 kHz mono: 8000 bytes.
    per_run = sum(len(c.pcm) for c in queue._items) / mic.restarts
    assert 7900 <= per_run <= 8100


async def test_a_stalled_mic_is_restarted_and_its_last_error_line_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    command = (
        "sh -c 'echo Recording raw data >&2; head -c 4096 /dev/zero; echo card gone >&2; sleep 60'"
    )
    settings = MicSettings(command=command, stall_s=0.5, restart_max_s=1)
    mic = CommandMicrophone(settings, ChunkQueue(100), lambda _ok: None)
    task = asyncio.create_task(mic.run())
    try:
        await until(lambda: mic.restarts >= 1, 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert "delivered no audio for 0.5 s: card gone; restarting" in caplog.text


async def test_a_missing_mic_command_is_reported_not_raised() -> None:
    settings = MicSettings(command="/nonexistent/arecord -t raw", restart_max_s=1)
    mic = CommandMicrophone(settings, ChunkQueue(10), lambda _ok: None)
    task = asyncio.create_task(mic.run())
    await until(lambda: not (mic.restarts < 2), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert not mic.ok


async def test_wav_microphone_plays_at_real_time_then_silence(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setframerate(8000)
        writer.setsampwidth(2)
        writer.setnchannels(1)
        writer.writeframes(b"\x10\x00" * 4000)  # 0.5 s at 8 kHz
    queue = ChunkQueue(100)
    mic = WavMicrophone(MicSettings(wav=path, chunk_samples=1600), queue, lambda _ok: None)
    task = asyncio.create_task(mic.run())
    loop = asyncio.get_running_loop()
    started = loop.time()
    chunks = [await bounded(queue.get(), 2) for _ in range(8)]  # 0.8 s of audio
    elapsed = loop.time() - started
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert 0.55 <= elapsed <= 1.5  # paced, not all at once
    assert [c.timestamp_ms for c in chunks] == [i * 100 for i in range(8)]
    assert any(chunks[0].pcm) and not any(chunks[-1].pcm)


def snd_command(out: Path) -> str:
    return f"{sys.executable} -m testing.pcm_pipe snd --rate 22050 --out {out}"


async def play(speaker: Speaker, pcm: bytes, fmt: PcmFormat = TTS) -> None:
    speaker.start_stream(fmt, report=True)
    for i in range(0, len(pcm), 2048):
        speaker.feed(pcm[i : i + 2048])
    speaker.end_stream()


async def test_speaker_converts_plays_in_order_and_reports_after_the_command_ends(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.raw"
    reports: list[tuple[bool, float]] = []
    loop = asyncio.get_running_loop()

    async def on_played(report: bool) -> None:
        reports.append((report, loop.time()))

    speaker = Speaker(SndSettings(command=snd_command(out), volume=50), on_played)
    task = asyncio.create_task(speaker.run())
    started = loop.time()
    try:
        tone = b"\x00\x40" * 11025  # 0.5 s at 22050 Hz, value 16384
        await play(speaker, tone)
        await play(speaker, b"\x00\x40" * 8000, PcmFormat(16000, 2, 1))  # 0.5 s, resampled
        await until(lambda: not (len(reports) < 2), 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    data = out.read_bytes()
    assert abs(len(data) - 2 * 22050) <= 64  # 0.5 s + 0.5 s at 22050 Hz
    assert abs(int.from_bytes(data[:2], "little", signed=True) - 8192) <= 1  # volume 50 %
    assert [r for r, _ in reports] == [True, True]
    assert reports[1][1] - started >= 0.9  # played at real-time pace by the snd command


async def test_interrupt_cuts_playback_and_still_reports(tmp_path: Path) -> None:
    out = tmp_path / "out.raw"
    reports: list[bool] = []

    async def on_played(report: bool) -> None:
        reports.append(report)

    speaker = Speaker(SndSettings(command=snd_command(out)), on_played)
    task = asyncio.create_task(speaker.run())
    try:
        await play(speaker, bytes(2 * 22050 * 5))  # 5 s
        await play(speaker, bytes(2 * 22050 * 5))  # queued behind it
        await asyncio.sleep(0.5)
        assert speaker.busy
        speaker.interrupt()
        await until(lambda: not (len(reports) < 2), 3)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert reports == [True, True] and not speaker.busy
    assert out.stat().st_size < 2 * 22050 * 3


async def test_wav_sink_and_no_sink(tmp_path: Path) -> None:
    reports: list[bool] = []

    async def on_played(report: bool) -> None:
        reports.append(report)

    for settings in (SndSettings(wav_dir=tmp_path / "played", channels=2), SndSettings()):
        speaker = Speaker(settings, on_played)
        task = asyncio.create_task(speaker.run())
        speaker.play_sound(b"\x00\x10" * 22050, TTS)
        await play(speaker, b"\x00\x10" * 22050)
        await until(lambda: not (len(reports) < 2), 5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert reports == [False, True]  # local sounds are not reported as `played`
        reports.clear()
    files = sorted((tmp_path / "played").glob("*.wav"))
    assert [f.name for f in files] == ["played-0001.wav", "played-0002.wav"]
    with wave.open(str(files[1])) as reader:
        assert (reader.getnchannels(), reader.getframerate(), reader.getnframes()) == (
            2,
            22050,
            22050,
        )


async def test_a_stream_left_open_ends_after_the_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("satellite.speaker.STREAM_GAP_S", 0.3)
    reports: list[bool] = []

    async def on_played(report: bool) -> None:
        reports.append(report)

    speaker = Speaker(SndSettings(), on_played)
    task = asyncio.create_task(speaker.run())
    try:
        speaker.start_stream(TTS, report=True)
        speaker.feed(bytes(2048))  # and never an audio-stop
        await until(lambda: reports == [True], 3)
        assert not speaker.busy
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
