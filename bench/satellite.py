"""Satellite footprint and wake latency: CPU and memory while listening, wake word → run-pipeline.

`python -m bench.satellite [--seconds 60] [--wakes 10] [--log-dir DIR]` runs the real satellite
(openWakeWord with one and three wake words, microWakeWord with one) on the paced stand-in mic
`testing.pcm_pipe`, driven by a Home-Assistant-like controller. It prints the satellite process's
own CPU (% of one core, all threads; its mic command is a child process, not counted) and RSS
over `--seconds` of speech without a wake word, then the delay from the end of "Hey Jarvis" in
the mic audio to `run-pipeline` at the controller. Figures only: nothing passes or fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
from wyoming.error import Error

from testing.audio import COMMANDS, piper_speech, silence
from testing.controller import Controller
from testing.hubproc import running_satellite

BYTES_PER_S = 32000  # 16 kHz, 16-bit mono
CPU_TARGET_PCT = 15.0  # idle listening, one wake word (the target)
RSS_TARGET_MB = 150.0


Case = tuple[str, tuple[str, ...], str, str]  # label, wake words, engine, mic settings (YAML)
CLEANUP = "{auto_gain_dbfs: 10, noise_suppression: 2}"  # WebRTC gain and noise suppression
CASES: tuple[Case, ...] = (
    ("openWakeWord, 1 word", ("hey_jarvis",), "openwakeword", "{}"),
    ("openWakeWord, 3 words", ("hey_jarvis", "okay_nabu", "alexa"), "openwakeword", "{}"),
    ("microWakeWord, 1 word", ("hey_jarvis",), "microwakeword", "{}"),
    ("openWakeWord, 1 word, mic clean-up", ("hey_jarvis",), "openwakeword", CLEANUP),
)


@dataclass
class Result:
    """What one case measured."""

    cpu_pct: float = 0.0
    rss_mb: float = 0.0
    peak_mb: float = 0.0
    false_wakes: int = 0
    delays_ms: list[float] = field(default_factory=list)
    missed: int = 0
    log_lines: list[str] = field(default_factory=list)


def machine() -> str:
    """CPU model and core count from /proc/cpuinfo."""
    lines = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    model = next((ln.split(":", 1)[1].strip() for ln in lines if "model name" in ln), "?")
    return f"{model}, {os.cpu_count()} cores"


def trim_tail(pcm: bytes, fraction: float = 0.01) -> bytes:
    """Drop trailing 10 ms frames whose RMS is below `fraction` of the loudest frame's."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt((frames**2).mean(axis=1))
    loud = np.nonzero(rms >= fraction * rms.max())[0]
    return pcm[: 320 * (int(loud[-1]) + 1)]


def drop_clip(queue: Path, stem: str, pcm: bytes) -> None:
    """Queue a clip for the stand-in mic (written aside, then renamed: never read half-done)."""
    part = queue / f"{stem}.part"
    part.write_bytes(pcm)
    part.rename(queue / f"{stem}.raw")


async def started_at(queue: Path, stem: str, timeout_s: float) -> float:
    """The wall-clock time the stand-in mic started playing `stem`."""
    deadline = time.monotonic() + timeout_s
    log = queue / "started.log"
    while time.monotonic() < deadline:
        if log.exists():
            for line in log.read_text().splitlines():
                name, _, when = line.partition(" ")
                if name == stem:
                    return float(when)
        await asyncio.sleep(0.02)
    raise TimeoutError(f"the mic did not start {stem} within {timeout_s} s")


async def sample_rss(proc: psutil.Process, result: Result) -> None:
    """Peak RSS, sampled every second until cancelled."""
    while True:
        result.peak_mb = max(result.peak_mb, proc.memory_info().rss / 1e6)
        await asyncio.sleep(1.0)


async def listen_window(
    ctrl: Controller, proc: psutil.Process, queue: Path, pcm: bytes, result: Result, window_s: float
) -> float:
    """CPU and RSS over `window_s` of speech without a wake word; returns when the chatter ends."""
    clip_s = len(pcm) / BYTES_PER_S
    drop_clip(queue, "chatter-000", pcm)
    last_start = await started_at(queue, "chatter-000", 10)
    await asyncio.sleep(2.0)  # settle: first chunks, first pings
    seen = len(ctrl.received)
    cpu0 = proc.cpu_times()
    wall0 = time.monotonic()
    clips = 1
    while (elapsed := time.monotonic() - wall0) < window_s:
        if time.time() > last_start + clip_s - 2:  # queue the next one before this ends
            stem = f"chatter-{clips:03d}"
            drop_clip(queue, stem, pcm)
            last_start = await started_at(queue, stem, 10)
            clips += 1
        for received in ctrl.received[seen:]:
            if received.event.type == "run-pipeline":  # the window is meant to stay idle
                result.false_wakes += 1
                await ctrl.send(Error(text="bench", code="bench").event())
        seen = len(ctrl.received)
        await asyncio.sleep(min(1.0, max(0.0, window_s - elapsed)))
    cpu1 = proc.cpu_times()
    wall_s = time.monotonic() - wall0
    result.cpu_pct = 100 * (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall_s
    result.rss_mb = proc.memory_info().rss / 1e6
    return last_start + clip_s


async def wake_delays(ctrl: Controller, queue: Path, wakes: int, result: Result) -> None:
    """Play "Hey Jarvis. <command>" `wakes` times; collect end-of-wake → run-pipeline delays."""
    wake = trim_tail(piper_speech("Hey Jarvis."))
    lead = silence(0.3) + wake
    clip = lead + silence(0.3) + piper_speech("Turn on the kitchen light.") + silence(1.5)
    wake_end_s = len(lead) / BYTES_PER_S
    clip_s = len(clip) / BYTES_PER_S
    for index in range(wakes):
        stem = f"wake-{index:03d}"
        drop_clip(queue, stem, clip)
        start = await started_at(queue, stem, 10)
        mark = len(ctrl.received)
        try:
            got = await ctrl.wait_for("run-pipeline", clip_s + 5, after=mark)
        except TimeoutError:
            result.missed += 1
        else:
            result.delays_ms.append(1000 * (got.time_s - start - wake_end_s))
            try:
                await ctrl.wait_for("audio-stop", 20, after=mark)
            except TimeoutError:
                result.log_lines.append(f"bench: no audio-stop within 20 s of wake {index}")
            await ctrl.send(Error(text="bench", code="bench").event())  # back to idle now
        await asyncio.sleep(max(0.0, start + clip_s + 1.0 - time.time()))  # > 2 s refractory


async def measure(
    port: int, pid: int, queue: Path, chatter: bytes, args: argparse.Namespace
) -> Result:
    """Connect as the controller, run the listening window, then the wakes."""
    proc = psutil.Process(pid)
    async with Controller("127.0.0.1", port) as ctrl:
        await ctrl.run_satellite()
        result = Result()
        sampler = asyncio.create_task(sample_rss(proc, result))
        try:
            chatter_end = await listen_window(ctrl, proc, queue, chatter, result, args.seconds)
            await asyncio.sleep(max(0.0, chatter_end + 2.5 - time.time()))
            await wake_delays(ctrl, queue, args.wakes, result)
        finally:
            sampler.cancel()
        result.peak_mb = max(result.peak_mb, result.rss_mb)
        return result


def run_case(case: Case, chatter: bytes, args: argparse.Namespace, work: Path) -> Result:
    """Start the satellite for `case` and measure it."""
    label, words, engine, mic_settings = case
    slug = label.replace(",", "").replace(" ", "-").lower()
    queue = work / slug
    queue.mkdir()
    config = work / f"{slug}.yaml"
    config.write_text(f"wake:\n  engine: {engine}\nmic: {mic_settings}\n")
    log_path = (args.log_dir or work) / f"{slug}.log"
    mic = f"{shlex.quote(sys.executable)} -m testing.pcm_pipe mic --queue {shlex.quote(str(queue))}"
    sat_args = ["--config", str(config), "--mic-command", mic, "--name", "bench"]
    sat_args += [arg for word in words for arg in ("--wake-word", word)]
    with running_satellite(args=sat_args, log_path=log_path) as (port, popen):
        result = asyncio.run(measure(port, popen.pid, queue, chatter, args))
    result.log_lines += [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if any(k in line for k in ("WARNING", "ERROR", "Traceback")) and "error bench" not in line
    ]
    return result


def chatter_clip() -> bytes:
    """Six commands spoken by Piper, 1 s of silence after each: speech without a wake word."""
    return b"".join(piper_speech(text) + silence(1.0) for text in COMMANDS[:6])


def report(results: dict[str, Result], args: argparse.Namespace) -> None:
    """The two tables and the satellites' warnings."""
    print(f"\nlistening {args.seconds:g} s (CPU: satellite process only, mic child not counted)")
    head = ("case", "CPU %", "target", "RSS MB", "peak MB", "target", "false wakes")
    print("{:<36}{:>7}{:>8}{:>8}{:>9}{:>8}{:>13}".format(*head))
    for label, words, _, _ in CASES:
        r = results[label]
        cpu_target = f"<= {CPU_TARGET_PCT:g}" if len(words) == 1 else "-"
        row = (label, r.cpu_pct, cpu_target, r.rss_mb, r.peak_mb, f"<= {RSS_TARGET_MB:g}")
        print("{:<36}{:>7.1f}{:>8}{:>8.1f}{:>9.1f}{:>8}".format(*row) + f"{r.false_wakes:>13}")
    print("\nend of 'Hey Jarvis' in the mic audio -> run-pipeline at the controller (ms)")
    print(f"{'case':<36}{'wakes':>6}{'missed':>7}{'median':>8}{'p95':>8}{'max':>8}{'min':>8}")
    for label, _, _, _ in CASES:
        r = results[label]
        d = np.array(r.delays_ms or [np.nan])
        stats = (np.median(d), np.percentile(d, 95), d.max(), d.min())
        print(
            f"{label:<36}{len(r.delays_ms):>6}{r.missed:>7}" + "".join(f"{x:>8.0f}" for x in stats)
        )
    print(
        "\nThe stand-in mic hands over each 64 ms chunk when it starts, a real mic when it ends:"
        " add up to 64 ms for a real mic. MB = 10^6 bytes."
    )
    for label, _, _, _ in CASES:
        for line in results[label].log_lines[:5]:
            print(f"log ({label}): {line}")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="listening window (60)")
    parser.add_argument("--wakes", type=int, default=10, help="wake words to time (10)")
    parser.add_argument("--log-dir", type=Path, help="keep the satellite logs here")
    args = parser.parse_args()
    print("homevoice satellite benchmark (figures only)")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"command: {shlex.join([sys.executable, '-m', 'bench.satellite', *sys.argv[1:]])}")
    chatter = chatter_clip()
    wake = trim_tail(piper_speech("Hey Jarvis."))
    print(
        f"chatter: {len(chatter) / BYTES_PER_S:.1f} s clip of 6 commands (Piper), looped;"
        f" wake: 'Hey Jarvis.' (Piper) {len(wake) / BYTES_PER_S:.3f} s after trimming"
        " trailing frames under 1 % of peak RMS"
    )
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="bench-satellite-") as tmp:
        for case in CASES:
            print(f"running: {case[0]} ...", flush=True)
            results[case[0]] = run_case(case, chatter, args, Path(tmp))
    report(results, args)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
