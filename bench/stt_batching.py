"""Whisper decodes from many satellites at once, batched into one CTranslate2 call or not.

`python -m bench.stt_batching [--device cpu|cuda] [--model tiny.en|base|PATH]
[--concurrent 1,2,4,8] [--window-ms 10] [--rounds 3]` transcribes N different Piper clips at
the same moment through the hub's `WhisperEngine`, with `stt.batch_window_ms` 0 (each decode
alone, as many at a time as `stt.concurrency` allows) and with the window, and prints per
request latency (median, p95), the wall time of the whole burst and the batch sizes formed.
On a GPU a batch costs little more than one decode; on a CPU its parts cost what they cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hub.engines.stt import WhisperEngine
from hub.models import resolve_stt_model
from hub.settings import Device, SttSettings
from testing.audio import piper_speech

COMMANDS = (
    "turn on the kitchen light", "lock the front door", "what time is it",
    "set the living room thermostat to twenty one degrees", "open the garage door",
    "dim the study light to thirty percent", "switch off the coffee maker",
    "close the blinds in the bedroom",
)  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def _burst(engine: WhisperEngine, clips: list[bytes]) -> tuple[list[float], float]:
    started = time.perf_counter()

    async def one(clip: bytes) -> float:
        await engine.transcribe(clip, "en")
        return (time.perf_counter() - started) * 1000

    latencies = await asyncio.gather(*(one(clip) for clip in clips))
    return list(latencies), (time.perf_counter() - started) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--concurrent", default="1,2,4,8")
    parser.add_argument("--window-ms", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    counts = [int(n) for n in args.concurrent.split(",")]
    clips = [piper_speech(COMMANDS[i % len(COMMANDS)]) for i in range(max(counts))]
    model = resolve_stt_model(args.model, [Path(tempfile.gettempdir()) / "homevoice-bench"])
    device = Device(args.device)
    engines = {}
    for window in (0, args.window_ms):
        settings = replace(SttSettings(), batch_window_ms=window, max_batch=max(counts))
        engine = WhisperEngine(model, args.model, settings, device)
        engine.load()
        engine.start()
        engines[window] = engine
    print(f"# {args.model} on {args.device}, {os.cpu_count()} CPUs ({platform.processor()}),")
    print(f"# load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds, alternating\n")
    print("| satellites | batching | request p50 | request p95 | burst wall | batch sizes |")
    print("|---:|---|---:|---:|---:|---|")
    for count in counts:
        rows: dict[int, tuple[list[float], list[float]]] = {w: ([], []) for w in engines}
        sizes: dict[int, list[int]] = {w: [] for w in engines}
        for _ in range(args.rounds):
            for window, engine in engines.items():
                stats = engine.batch_stats
                before = len(stats.sizes) if stats else 0
                latencies, wall = await _burst(engine, clips[:count])
                rows[window][0].extend(latencies)
                rows[window][1].append(wall)
                if stats:
                    sizes[window] += stats.sizes[before:]
        for window, (latencies, walls) in rows.items():
            label = f"{window} ms window" if window else "off"
            shown = ",".join(str(s) for s in sorted(set(sizes[window]))) or "-"
            print(
                f"| {count} | {label} | {statistics.median(latencies):.0f} ms "
                f"| {_p95(latencies):.0f} ms | {statistics.median(walls):.0f} ms | {shown} |"
            )
    for engine in engines.values():
        engine.close()


if __name__ == "__main__":
    asyncio.run(main())
