"""Soak: simulated satellites issue commands for a long while, with a flood of idle connections
in the middle; does every command end in its action, and does the hub stay flat?

`python -m bench.soak [--duration-s 600] [--satellites 4] [--interval-s 4] [--flood 300]`
starts a private mosquitto with the fake home, the real hub driving in-process simulated
satellites (bench/e2e.py's), and has each satellite speak a command every `interval-s` (with
jitter) until `duration-s` has passed. Halfway, `flood` TCP connections to the hub's Wyoming
port are opened and held without a byte for 15 s. It prints the success rate, p50/p95/p99 of
end of speech → the device's command and → first answer audio, and the hub's resident memory,
open file descriptors and event-loop tasks at the start and the end (from its /metrics), and
writes the same as markdown with `--report PATH`. `tests/e2e/test_soak.py` runs 60 s of it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from protocol.aio import bounded
from testing.broker import Broker
from testing.hubproc import free_port, running_hub
from testing.simsat import Clip, SimSatellite, make_clip

from .e2e import COMMANDS, WAKE_WORDS, Watch, one_utterance

# Commands with an action that tiny.en hears right in this voice: the soak is about never
# losing one, not about hearing (bench/e2e.py prints how often the others are misheard).
SOAK_COMMANDS = tuple(
    text
    for text in COMMANDS
    if text
    not in (
        "Set the kitchen light to forty percent.",  # heard "kitchen like"
        "Unlock the front door.",  # heard "I'm off the front door"
        "Is the front door locked?",  # a question: no action
    )
)
TRACE_EVERY_S = 15.0

FLOOD_HOLD_S = 15.0
SETTLE_S = 5.0
# What "flat" means between the start and the end (after the flood has gone).
BOUNDS = {"rss_mb": 60.0, "open_fds": 8.0, "asyncio_tasks": 8.0}


@dataclass
class Soak:
    """What one soak run saw."""

    duration_s: float
    interval_s: float
    samples: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    resources: dict[str, dict[str, float]] = field(default_factory=dict)
    trace: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    flood: dict[str, float] = field(default_factory=dict)

    @property
    def commands(self) -> int:
        return len(self.samples) + len(self.failures)

    @property
    def succeeded(self) -> int:
        return sum(1 for s in self.samples if not s["failed"] and s["action"])

    def growth(self) -> dict[str, float]:
        """End minus start of each resource."""
        start, end = self.resources["start"], self.resources["end"]
        return {key: end[key] - start[key] for key in BOUNDS}

    def flat(self) -> bool:
        """Every resource back within its bound at the end."""
        return all(abs(value) <= BOUNDS[key] for key, value in self.growth().items())


async def resources(http: aiohttp.ClientSession) -> dict[str, float]:
    """The hub's RSS (MB), open fds and event-loop tasks, from its /metrics."""
    async with http.get("/metrics") as response:
        text = await response.text()
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("process_resident_memory_bytes", "process_open_fds", "homevoice_asyncio_tasks"):
            values[name] = float(value)
    return {
        "rss_mb": values["process_resident_memory_bytes"] / 1e6,
        "open_fds": values["process_open_fds"],
        "asyncio_tasks": values["homevoice_asyncio_tasks"],
    }


async def trace(http: aiohttp.ClientSession, soak: Soak, started: float) -> None:
    """The hub's resources every TRACE_EVERY_S, for the report's curve."""
    while True:
        await asyncio.sleep(TRACE_EVERY_S)
        soak.trace.append((time.monotonic() - started, await resources(http)))


async def flood(port: int, count: int) -> dict[str, float]:
    """`count` idle connections held for FLOOD_HOLD_S; how many the hub closed meanwhile."""
    writers = []
    for _ in range(count):
        with contextlib.suppress(OSError):
            _reader, writer = await bounded(asyncio.open_connection("127.0.0.1", port), 5)
            writers.append((_reader, writer))
    await asyncio.sleep(FLOOD_HOLD_S)
    closed = sum(1 for reader, _ in writers if reader.at_eof())
    for _, writer in writers:
        writer.close()
    return {"opened": len(writers), "closed_by_hub": closed}


async def speaker(
    sat: SimSatellite, clips: list[Clip], watch: Watch, soak: Soak, until_s: float, seed: int
) -> None:
    """One satellite: a command every interval (jittered) until the deadline."""
    rng = random.Random(seed)
    n = seed
    while time.monotonic() < until_s:
        clip = clips[n % len(clips)]
        n += 1
        try:
            sample = await one_utterance(sat, clip, watch, rng.uniform(0, soak.interval_s))
            soak.samples.append(sample)
        except TimeoutError as err:
            soak.failures.append(f"{sat.node_id}: {err}")


async def run_soak(
    workdir: Path, duration_s: float, satellites: int, interval_s: float, flood_count: int
) -> Soak:
    """The whole soak; the hub's log is in `workdir`."""
    soak = Soak(duration_s, interval_s)
    clips = [make_clip(text) for text in SOAK_COMMANDS]
    broker = Broker(workdir)
    broker.start()
    watch = Watch(broker.port)
    subscribed = asyncio.Event()
    watcher = asyncio.create_task(watch.run(subscribed))
    sats = [SimSatellite(i + 1, WAKE_WORDS[i % len(WAKE_WORDS)]) for i in range(satellites)]
    try:
        await bounded(subscribed.wait(), 10)
        for sat in sats:
            await sat.start()
        http_port, hub_port = free_port(), free_port()
        args = ["--mqtt", broker.url, "--http-port", str(http_port)]
        for sat in sats:
            args += ["--satellite", f"tcp://127.0.0.1:{sat.port}"]
        with running_hub(hub_port, args, workdir / "hub.log"):
            async with aiohttp.ClientSession(f"http://127.0.0.1:{http_port}") as http:
                for sat in sats:
                    await bounded(sat.ready.wait(), 60)
                await asyncio.sleep(1.0)  # the hub reads the home's discovery
                # Warm-up, not counted: every command once, on all satellites at once, so the
                # engines' buffers and the allocator's arenas have grown to what load needs.
                for index in range(len(clips)):
                    await asyncio.gather(
                        *(one_utterance(sat, clips[(index + i) % len(clips)], watch, 0)
                          for i, sat in enumerate(sats))
                    )  # fmt: skip
                soak.resources["start"] = await resources(http)
                started = time.monotonic()
                until_s = started + duration_s
                speakers = [
                    asyncio.create_task(speaker(sat, clips, watch, soak, until_s, i))
                    for i, sat in enumerate(sats)
                ]
                tracing = asyncio.create_task(trace(http, soak, started))
                await asyncio.sleep(duration_s / 2)
                if flood_count:
                    soak.flood = await flood(hub_port, flood_count)
                    soak.resources["flood"] = await resources(http)
                await asyncio.gather(*speakers)
                tracing.cancel()
                await asyncio.gather(tracing, return_exceptions=True)
                await asyncio.sleep(SETTLE_S)
                soak.resources["end"] = await resources(http)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        for sat in sats:
            await sat.close()
        broker.stop()
    return soak


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return f"{p50:.0f} / {p95:.0f} / {p99:.0f} ms"


def summary(soak: Soak, satellites: int, interval_s: float) -> str:
    """The soak's figures as markdown."""
    action = [float(s["action_ms"]) for s in soak.samples if s["action_ms"] is not None]
    audio = [float(s["first_audio_ms"]) for s in soak.samples if s["first_audio_ms"] is not None]
    growth = soak.growth()
    lines = [
        f"# Soak: {satellites} satellites, a command each every ~{interval_s:g} s, "
        f"{soak.duration_s:g} s",
        "",
        f"- commands: {soak.commands}, carried out: {soak.succeeded} "
        f"({100 * soak.succeeded / max(1, soak.commands):.1f} %)",
        f"- end of speech → command at the device, p50 / p95 / p99: {percentiles(action)}",
        f"- end of speech → first answer audio, p50 / p95 / p99: {percentiles(audio)}",
    ]
    if soak.flood:
        lines.append(
            f"- flood halfway: {soak.flood['opened']:.0f} idle connections held "
            f"{FLOOD_HOLD_S:g} s, {soak.flood['closed_by_hub']:.0f} closed by the hub meanwhile"
        )
    lines += ["", "| hub | start | " + ("during the flood | " if soak.flood else "") + "end | "]
    lines[-1] += "growth | bound |"
    lines.append("|---|---|---|---|---|" + ("---|" if soak.flood else ""))
    for key, bound in BOUNDS.items():
        cells = [f"{soak.resources['start'][key]:.1f}"]
        if soak.flood:
            cells.append(f"{soak.resources['flood'][key]:.1f}")
        cells += [f"{soak.resources['end'][key]:.1f}", f"{growth[key]:+.1f}", f"±{bound:g}"]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"flat: {'yes' if soak.flat() else 'NO'}",
        "",
        "| s | rss_mb | open_fds | tasks |",
    ]
    lines.append("|---|---|---|---|")
    for at_s, seen in soak.trace:
        lines.append(
            f"| {at_s:.0f} | {seen['rss_mb']:.1f} | {seen['open_fds']:.0f} "
            f"| {seen['asyncio_tasks']:.0f} |"
        )
    if soak.failures or any(s["failed"] or not s["action"] for s in soak.samples):
        lines += ["", "failures:"]
        lines += [f"- {f}" for f in soak.failures]
        lines += [
            f"- {s['satellite']}: {s['text']!r} heard {s['transcript']!r} → {s['action']} "
            f"({s['error'] or 'no action'})"
            for s in soak.samples
            if s["failed"] or not s["action"]
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=600.0)
    parser.add_argument("--satellites", type=int, default=4)
    parser.add_argument("--interval-s", type=float, default=4.0)
    parser.add_argument("--flood", type=int, default=300, help="idle connections halfway")
    parser.add_argument("--report", type=Path, help="write the figures as markdown here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="homevoice-soak-") as tmp:
        soak = asyncio.run(
            run_soak(Path(tmp), args.duration_s, args.satellites, args.interval_s, args.flood)
        )
    text = summary(soak, args.satellites, args.interval_s)
    print(text)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
