"""Concurrent decodes batched into one CTranslate2 call (stt.batch_window_ms)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

import pytest

from hub.engines.batching import Batcher
from hub.engines.stt import WhisperEngine
from hub.models import resolve_stt_model
from hub.settings import Device, SttSettings
from testing.audio import piper_speech


def _doubled(calls: list[list[int]]) -> Batcher[int, int]:
    def run(jobs: Sequence[int]) -> list[int]:
        calls.append(list(jobs))
        if -1 in jobs:
            raise ValueError("bad job")
        return [job * 2 for job in jobs]

    return Batcher(run, window_s=0.05, max_batch=3, workers=1, group=lambda job: job % 2 == 0)


async def test_requests_in_the_window_share_one_call_and_each_gets_its_own_result() -> None:
    calls: list[list[int]] = []
    batcher = _doubled(calls)
    assert await asyncio.gather(*(batcher.submit(n) for n in (2, 4))) == [4, 8]
    assert calls == [[2, 4]]
    # a full batch does not wait for the window; odd and even never share one
    results = await asyncio.gather(*(batcher.submit(n) for n in (6, 8, 10, 1)))
    assert results == [12, 16, 20, 2]
    assert sorted(calls[1:]) == [[1], [6, 8, 10]]
    assert batcher.stats.sizes == [2, 3, 1] or batcher.stats.sizes == [2, 1, 3]
    batcher.close()


async def test_a_failure_reaches_every_request_and_a_caller_that_left_is_skipped() -> None:
    calls: list[list[int]] = []
    batcher = _doubled(calls)
    results = await asyncio.gather(batcher.submit(-1), batcher.submit(1), return_exceptions=True)
    assert [type(r) for r in results] == [ValueError, ValueError]
    left = asyncio.ensure_future(batcher.submit(3))
    await asyncio.sleep(0)
    left.cancel()
    assert await batcher.submit(5) == 10
    assert calls[-1] == [5]  # the cancelled one was not decoded
    batcher.close()


@pytest.fixture(scope="module")
def clips() -> list[bytes]:
    texts = ("turn on the kitchen light", "lock the front door", "what time is it")
    return [piper_speech(text) for text in texts]


async def test_batched_whisper_decodes_give_the_transcripts_one_by_one_gives(
    clips: list[bytes],
) -> None:
    model = resolve_stt_model("tiny.en", [])
    alone = WhisperEngine(model, "tiny.en", SttSettings(batch_window_ms=0), Device.CPU)
    alone.load()
    alone.start()
    expected = [(await alone.transcribe(clip, "en")).text for clip in clips]
    assert alone.batch_stats is None

    settings = replace(SttSettings(), batch_window_ms=100)
    batched = WhisperEngine(model, "tiny.en", settings, Device.CPU)
    batched.load()
    batched.start()
    try:
        results = await asyncio.gather(*(batched.transcribe(clip, "en") for clip in clips))
        assert [r.text for r in results] == expected
        stats = batched.batch_stats
        assert stats is not None and stats.sizes == [3]
    finally:
        batched.close()
