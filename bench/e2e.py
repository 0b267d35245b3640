"""End to end: spoken command → device command on MQTT → first answer audio, with 1, 2, 4 (and 8)
simulated satellites driven by the real hub.

`python -m bench.e2e [--rounds N] [--satellites 1,2,4,8] [--stagger-s S] [--chunk-ms MS]
[--same-wake-word]` starts a private mosquitto, announces the fake home of
`testing/fake_home.py`, starts the real hub driving in-process Wyoming satellites (local wake,
no models: on cue each sends `detection` and `run-pipeline`, then Piper speech at real-time pace
in 64 ms chunks, or `--chunk-ms`, and silence until the hub's `transcript`; the hub's VAD ends
the command). It writes a markdown report and a PNG of the curve (`--report`, `--plot`).
For each satellite count it prints median and p95 of end of speech → the command at the
device's MQTT subscriber and → the first answer `audio-chunk` at the satellite, and the hub's
own per-stage timings from its pipeline events.
The bench's clock is `time.monotonic()`; the hub's event timestamps are epoch ms, put on the same
clock by the offset between `time.time()` and `time.monotonic()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt
import numpy as np

from protocol.aio import bounded
from testing.broker import Broker
from testing.fake_home import SENTENCE_TABLE, STATES, discovery_messages
from testing.hubproc import free_port, running_hub
from testing.simsat import Clip, SimSatellite, make_clip

RUN_TIMEOUT_S = 30.0
# Held-out style: phrasings that are not the grammar's examples, about devices of the fake home.
COMMANDS = (
    "Please switch on the kitchen light.",
    "Turn off the lamp in the bedroom.",
    "Lock the front door.",
    "Set the kitchen light to forty percent.",
    "Close the garage door.",
    "Turn the coffee machine on.",
    "Open the garage door, please.",
    "Set the living room thermostat to twenty two degrees.",
    "Switch off the coffee machine.",
    "Unlock the front door.",
    "Could you turn the bedroom lamp on?",
    "Is the front door locked?",
)
WAKE_WORDS = [("hey_jarvis", "Hey Jarvis"), ("alexa", "Alexa"), ("hey_mycroft", "Hey Mycroft")]
WAKE_WORDS += [("hey_rhasspy", "Hey Rhasspy")]


def wake_word(index: int) -> tuple[str, str]:
    """Satellite `index`'s wake word: beyond the four bundled ones, a phrase of its own, so
    the hub's arbiter never takes two satellites for one wake-up."""
    name, phrase = WAKE_WORDS[index % len(WAKE_WORDS)]
    if index < len(WAKE_WORDS):
        return name, phrase
    return f"{name}_{index}", f"{phrase} {index}"


TARGETS_MS = {"action": 450.0, "audio": 700.0}


class Watch:
    """Reads the hub's pipeline events and the devices' command topics from the broker."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.arrivals: list[tuple[str, str, float]] = []
        self._claimed: set[int] = set()
        self.changed = asyncio.Event()

    async def run(self, subscribed: asyncio.Event) -> None:
        async with aiomqtt.Client("127.0.0.1", self.port, identifier="bench-e2e") as mqtt:
            for topic, payload in [*discovery_messages(), *STATES.items()]:
                await mqtt.publish(topic, payload, qos=1, retain=True)
            await mqtt.subscribe("homevoice/+/event", qos=0)
            commands = {topic for _, publishes, _ in SENTENCE_TABLE for topic, _ in publishes}
            for topic in sorted(commands):
                await mqtt.subscribe(topic, qos=1)
            subscribed.set()
            async for message in mqtt.messages:
                now = time.monotonic()
                topic = str(message.topic)
                payload = bytes(message.payload).decode()
                parts = topic.split("/")
                if len(parts) == 3 and parts[0] == "homevoice" and parts[2] == "event":
                    self.events.setdefault(parts[1], []).append(json.loads(payload))
                else:
                    self.arrivals.append((topic, payload, now))
                self.changed.set()

    def claim(self, topic: str, payload: str, after_s: float) -> float | None:
        """When the first unclaimed (topic, payload) after `after_s` reached the broker reader."""
        for i, (seen_topic, seen_payload, at_s) in enumerate(self.arrivals):
            if i in self._claimed or at_s < after_s:
                continue
            if seen_topic == topic and seen_payload == payload:
                self._claimed.add(i)
                return at_s
        return None


async def wait_until(watch: Watch, check: Any, timeout_s: float, what: str) -> Any:
    """`check()` again after each MQTT message until it returns something; bounded."""
    try:
        async with asyncio.timeout(timeout_s):
            while (found := check()) is None:
                watch.changed.clear()
                await watch.changed.wait()
            return found
    except TimeoutError:
        raise TimeoutError(f"{what}: nothing within {timeout_s:g} s") from None


async def one_utterance(
    sat: SimSatellite, clip: Clip, watch: Watch, delay_s: float
) -> dict[str, Any]:
    """Speak `clip` on `sat` after `delay_s`; wait for the run's end; one sample."""
    await asyncio.sleep(delay_s)
    seen = len(watch.events.get(sat.node_id, []))
    heard = await sat.speak(clip)

    def run_end() -> dict[str, Any] | None:
        later = watch.events.get(sat.node_id, [])[seen:]
        return next((e for e in later if e["type"] == "run-end"), None)

    what = f"{sat.node_id}: run-end for {clip.text!r}"
    end = await wait_until(watch, run_end, RUN_TIMEOUT_S, what)
    with contextlib.suppress(TimeoutError):
        await bounded(heard.done.wait(), 5)
    events = [e for e in watch.events[sat.node_id][seen:] if e["run_id"] == end["run_id"]]
    by_type = {e["type"]: e for e in reversed(events)}  # first of each type wins
    stt_end = by_type.get("stt-end", {})
    action = by_type.get("action")
    action_ms = None
    if action is not None and heard.speech_end_s:
        at_s = await wait_until(
            watch,
            lambda: watch.claim(action["topic"], action["payload"], heard.started_s),
            5,
            f"{sat.node_id} command on {action['topic']}",
        )
        action_ms = (at_s - heard.speech_end_s) * 1000
    first_audio_ms = None
    if heard.first_audio_s is not None and heard.speech_end_s:
        first_audio_ms = (heard.first_audio_s - heard.speech_end_s) * 1000
    hub_end = stt_end.get("speech_end_ms")  # epoch ms: on this machine's monotonic clock
    hub_end = hub_end - (time.time() - time.monotonic()) * 1000 if hub_end else None
    return {
        "satellite": sat.node_id,
        "text": clip.text,
        "transcript": heard.transcript,
        "answer": by_type.get("intent-end", {}).get("answer"),
        "action": None if action is None else f"{action['topic']} {action['payload']}",
        "action_ms": action_ms,
        "first_audio_ms": first_audio_ms,
        "answer_s": heard.answer_bytes / 2 / 22050,
        "timings_ms": end.get("timings_ms", {}),
        "decode_ms": stt_end.get("decode_ms"),
        "speculative": stt_end.get("speculative"),
        "ended_by": stt_end.get("ended_by"),
        "hub_speech_end_minus_true_ms": (
            hub_end - heard.speech_end_s * 1000 if hub_end and heard.speech_end_s else None
        ),
        "failed": end.get("outcome") != "ok",
        "error": heard.error or by_type.get("error", {}).get("message"),
    }


async def run_round(
    sats: list[SimSatellite], clips: list[Clip], watch: Watch, stagger_s: float, rng: random.Random
) -> list[dict[str, Any]]:
    """Every satellite speaks its clip, each after a random 0..stagger_s delay."""
    delays = [rng.uniform(0, stagger_s) if len(sats) > 1 else 0.0 for _ in sats]
    return list(
        await asyncio.gather(
            *(one_utterance(s, c, watch, d) for s, c, d in zip(sats, clips, delays, strict=True))
        )
    )


class HttpWatch:
    """What the dashboard and Prometheus cost: a client on /api/events reading every message,
    and /metrics scraped every second."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.messages = 0
        self.scrapes = 0

    async def run(self) -> None:
        async with aiohttp.ClientSession(self.base) as http:
            scraping = asyncio.create_task(self._scrape(http))
            try:
                async with http.ws_connect("/api/events") as socket:
                    async for _message in socket:
                        self.messages += 1
            finally:
                scraping.cancel()
                await asyncio.gather(scraping, return_exceptions=True)

    async def _scrape(self, http: aiohttp.ClientSession) -> None:
        while True:
            async with http.get("/metrics") as response:
                await response.read()
            self.scrapes += 1
            await asyncio.sleep(1.0)


async def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Start everything, warm up, then the rounds for each satellite count."""
    counts: list[int] = args.satellites
    print("Synthesizing the commands with Piper ...", flush=True)
    clips = [make_clip(text) for text in COMMANDS]
    broker = Broker(workdir)
    broker.start()
    watch = Watch(broker.port)
    subscribed = asyncio.Event()
    watcher = asyncio.create_task(watch.run(subscribed))
    watched: list[tuple[HttpWatch, asyncio.Task[None]]] = []
    args.http_watches = watched
    sats = [
        SimSatellite(
            i + 1,
            WAKE_WORDS[0] if args.same_wake_word else wake_word(i),
            chunk_samples=round(args.chunk_ms * 16),
        )
        for i in range(max(counts))
    ]
    try:
        await bounded(subscribed.wait(), 10)
        for sat in sats:
            await sat.start()
        hub_args = ["--mqtt", broker.url, "--wake-word", "hey_jarvis"]
        for sat in sats:
            hub_args += ["--satellite", f"tcp://127.0.0.1:{sat.port}"]
        http_port = free_port()
        hub_args += ["--http-port", str(http_port)]
        print(f"Starting the hub (log: {args.hub_log}) ...", flush=True)
        with running_hub(args=hub_args, log_path=args.hub_log):
            if args.watch_http:  # a dashboard's WebSocket and a Prometheus scrape, all along
                http_watch = HttpWatch(http_port)
                http_task = asyncio.create_task(http_watch.run())
                watched.append((http_watch, http_task))
            for sat in sats:
                try:
                    await bounded(sat.ready.wait(), 30)
                except TimeoutError:
                    raise TimeoutError(f"the hub did not drive {sat.name} within 30 s") from None
            await asyncio.sleep(1.0)  # the hub reads the home's discovery
            rng = random.Random(1)
            print("Warm-up round (not counted) ...", flush=True)
            warm = [clips[i % len(clips)] for i in range(len(sats))]
            for sample in await run_round(sats, warm, watch, args.stagger_s, rng):
                print(f"  {sample['satellite']}: {sample['transcript']!r} -> {sample['action']}")
            results: dict[str, Any] = {}
            for n in counts:
                samples: list[dict[str, Any]] = []
                for r in range(args.rounds):
                    chosen = [clips[(r * n + i) % len(clips)] for i in range(n)]
                    samples += await run_round(sats[:n], chosen, watch, args.stagger_s, rng)
                    await asyncio.sleep(0.3 if not args.same_wake_word else 2.2)
                results[str(n)] = samples
                print_samples(n, samples)
            return results
    finally:
        for _http_watch, task in watched:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        for sat in sats:
            await sat.close()
        broker.stop()


def stats(values: list[float]) -> tuple[float, float] | None:
    """(median, p95), or None with no samples."""
    if not values:
        return None
    return float(np.median(values)), float(np.percentile(values, 95))


def print_samples(n: int, samples: list[dict[str, Any]]) -> None:
    """Each utterance of one satellite count: transcript, action, the two latencies."""
    print(f"\n{n} satellite(s): {len(samples)} utterances")
    for s in samples:
        cells = [
            f"{s[key]:5.0f} ms" if s[key] is not None else "    - ms"
            for key in ("action_ms", "first_audio_ms")
        ]
        flag = f"  ERROR {s['error']}" if s["error"] or s["failed"] else ""
        print(
            f"  {s['satellite']:8} action {cells[0]}  audio {cells[1]}  "
            f"{s['transcript']!r} -> {s['action'] or 'no action'}{flag}"
        )


def figure_rows(n: int, samples: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(figure, median, p95, target) rows for one satellite count."""

    def values(pick: Any) -> list[float]:
        return [float(v) for s in samples if (v := pick(s)) is not None]

    def target(kind: str) -> str:
        if n == 1:
            return f"<= {TARGETS_MS[kind]:.0f} ms"
        if n == 4:
            return f"p95 <= {2 * TARGETS_MS[kind]:.0f} ms"
        return ""

    rows: list[tuple[str, str, str, str]] = []
    picks: list[tuple[str, Any, str]] = [
        ("end of speech -> command at the device", lambda s: s["action_ms"], target("action")),
        ("end of speech -> first answer audio", lambda s: s["first_audio_ms"], target("audio")),
        ("  hub: -> stt-end", lambda s: s["timings_ms"].get("stt-end"), ""),
        ("  hub: -> action", lambda s: s["timings_ms"].get("action"), ""),
        ("  hub: -> tts-first-audio", lambda s: s["timings_ms"].get("tts-first-audio"), ""),
        ("  hub: STT decode_ms", lambda s: s["decode_ms"], ""),
        ("  hub speech-end estimate - true", lambda s: s["hub_speech_end_minus_true_ms"], ""),
    ]  # fmt: skip
    for label, pick, goal in picks:
        found = stats(values(pick))
        median, p95 = (f"{found[0]:.0f} ms", f"{found[1]:.0f} ms") if found else ("-", "-")
        rows.append((label, median, p95, goal))
    return rows


def machine() -> dict[str, Any]:
    """CPU model, cores and load."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count(), "loadavg": os.getloadavg()}


def report(results: dict[str, Any], args: argparse.Namespace, before: dict[str, Any]) -> None:
    """The summary tables, the hub log's warnings, and the JSON file."""
    after = machine()
    print(f"\nMachine: {before['cpu']}, {before['cores']} cores, no GPU used")
    print(f"Load average before {before['loadavg']}, after {after['loadavg']}")
    for http_watch, _task in args.http_watches:
        print(
            f"HTTP watched all along: {http_watch.messages} WebSocket messages read, "
            f"{http_watch.scrapes} /metrics scrapes"
        )
    print(f"Mic chunks of {args.chunk_ms:g} ms.")
    print(f"Stagger: each satellite starts at a random 0..{args.stagger_s:g} s in its round;")
    print("`played` is sent as soon as the answer's audio-stop arrives.\n")
    for n, samples in results.items():
        ok = [s for s in samples if not s["failed"]]
        spec = [s["speculative"] for s in ok if s["speculative"] is not None]
        actions = sum(1 for s in samples if s["action"] is not None)
        print(
            f"{n} satellite(s): {len(samples)} runs, {len(samples) - len(ok)} failed, "
            f"{actions} with an action, speculative {sum(spec)}/{len(spec)}"
        )
        print(f"  {'figure':42} {'median':>9} {'p95':>9}  target")
        for label, median, p95, goal in figure_rows(int(n), samples):
            print(f"  {label:42} {median:>9} {p95:>9}  {goal}")
        print()
    log = args.hub_log.read_text(errors="replace").splitlines() if args.hub_log.exists() else []
    bad = [line for line in log if " WARNING " in line or " ERROR " in line or "Traceback" in line]
    print(f"Hub log {args.hub_log}: {len(bad)} warning/error lines")
    for line in bad[:10]:
        print(f"  {line[:160]}")
    if args.report:
        write_report(results, args, before, after)
    if args.plot:
        plot_curve(results, args.plot)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    shown = {k: str(v) for k, v in vars(args).items() if k != "http_watches"}
    document = {"machine": before, "args": shown}
    document["results"] = results
    args.json.write_text(json.dumps(document, indent=1))
    print(f"Raw results: {args.json}")


def curve(results: dict[str, Any]) -> dict[str, list[tuple[int, float, float]]]:
    """(satellites, p50, p95) per figure, for the plot and the report."""
    picks = {"command at the device": "action_ms", "first answer audio": "first_audio_ms"}
    found: dict[str, list[tuple[int, float, float]]] = {label: [] for label in picks}
    for n, samples in sorted(results.items(), key=lambda item: int(item[0])):
        for label, key in picks.items():
            values = [float(s[key]) for s in samples if s[key] is not None]
            if values:
                p50, p95 = np.percentile(values, [50, 95])
                found[label].append((int(n), float(p50), float(p95)))
    return found


def write_report(
    results: dict[str, Any], args: argparse.Namespace, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """The figures as markdown, so two commits' runs can be put side by side."""
    lines = [
        "# bench.e2e: end of speech → command and → first answer audio",
        "",
        f"Machine: {before['cpu']}, {before['cores']} cores, no GPU; load average "
        f"{before['loadavg'][0]:.2f} before, {after['loadavg'][0]:.2f} after. "
        f"{args.rounds} rounds per count, start spread {args.stagger_s:g} s, "
        f"mic chunks of {args.chunk_ms:g} ms.",
        "",
        "| satellites | runs | failed | command p50 | command p95 | first audio p50 "
        "| first audio p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    points = curve(results)
    by_n = {n: (p50, p95) for n, p50, p95 in points["command at the device"]}
    audio = {n: (p50, p95) for n, p50, p95 in points["first answer audio"]}
    for n, samples in sorted(results.items(), key=lambda item: int(item[0])):
        failed = sum(1 for s in samples if s["failed"])
        command = by_n.get(int(n), (float("nan"), float("nan")))
        first = audio.get(int(n), (float("nan"), float("nan")))
        lines.append(
            f"| {n} | {len(samples)} | {failed} | {command[0]:.0f} ms | {command[1]:.0f} ms "
            f"| {first[0]:.0f} ms | {first[1]:.0f} ms |"
        )
    if args.plot:
        lines += ["", f"![the curve]({args.plot.name})"]
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Report: {args.report}")


def plot_curve(results: dict[str, Any], path: Path) -> None:
    """p50 and p95 against the number of satellites speaking at once, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=120)
    for (label, points), colour in zip(
        curve(results).items(), ("tab:blue", "tab:orange"), strict=True
    ):
        if not points:
            continue
        counts = [n for n, _, _ in points]
        axes.plot(counts, [p50 for _, p50, _ in points], "o-", color=colour, label=f"{label}, p50")
        axes.plot(counts, [p95 for _, _, p95 in points], "s--", color=colour, label=f"{label}, p95")
    axes.set_xscale("log", base=2)
    axes.set_xticks(sorted({int(n) for n in results}), labels=sorted(results, key=int))
    axes.set_xlabel("satellites speaking at once")
    axes.set_ylabel("ms after the end of speech")
    axes.set_title("homevoice hub: end of speech → command / first answer audio")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    print(f"Plot: {path}")


def main(argv: list[str] | None = None) -> int:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="rounds per satellite count")
    parser.add_argument(
        "--satellites",
        type=lambda text: sorted({int(n) for n in text.split(",")}),
        default=[1, 2, 4],
        help="satellite counts, comma separated (default 1,2,4; 1,2,4,8 for the curve)",
    )
    parser.add_argument("--stagger-s", type=float, default=0.5, help="random start spread")
    parser.add_argument(
        "--chunk-ms",
        type=float,
        default=64.0,
        help="the simulated mics' chunk (64 ms as our satellite; try 20 and 32)",
    )
    parser.add_argument(
        "--same-wake-word",
        action="store_true",
        help="every satellite says hey_jarvis (the hub's arbiter then keeps one per wake-up)",
    )
    parser.add_argument(
        "--watch-http",
        action="store_true",
        help="keep a WebSocket on /api/events and scrape /metrics every second meanwhile",
    )
    parser.add_argument("--json", type=Path, default=Path("out/bench-e2e.json"))
    parser.add_argument(
        "--report", type=Path, default=Path("out/bench-e2e.md"), help="the figures as markdown"
    )
    parser.add_argument(
        "--plot", type=Path, default=Path("out/bench-e2e.png"), help="the curve as a PNG"
    )
    parser.add_argument("--hub-log", type=Path, default=Path("out/bench-e2e-hub.log"))
    args = parser.parse_args(argv)
    args.hub_log.parent.mkdir(parents=True, exist_ok=True)
    before = machine()
    with tempfile.TemporaryDirectory() as workdir:
        results = asyncio.run(measure(args, Path(workdir)))
    report(results, args, before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
