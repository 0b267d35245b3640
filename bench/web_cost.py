"""What the HTTP face costs the hub per pipeline event: the event stream's readers with and
without the metrics and a live `/api/events` WebSocket client, and one `/metrics` scrape.

`python -m bench.web_cost [--events N]` runs the real web application in-process on loopback
(fake engines: nothing here decodes), connects a WebSocket client that reads every message,
publishes N typed events through the bus as a run would, and prints the CPU time per event of
the hub's process (the client's share included, as it shares the process here) and the time of
a scrape. A run of the pipeline makes about 15 events.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import aiohttp
from aiohttp import web

from hub.loading import LoadedHub
from hub.pipeline.events import RunHistory
from hub.satellites.controller import SatelliteController
from hub.settings import HubSettings
from hub.web.app import build_app
from hub.web.context import WebContext
from hub.web.metrics import Metrics
from protocol.clock import now
from protocol.run_events import Action, RunEnd, RunStart, Stamp, SttEnd
from testing.fakes import FakeStt, FakeTts, fake_services
from testing.hubproc import free_port

EVENTS_PER_RUN = 15


def events(run: int) -> list[object]:
    """A run's worth of events (the kinds with the most fields among them)."""
    stamp = Stamp(f"bench-{run}", "bench", now())
    out: list[object] = [RunStart(stamp, start_stage="asr", end_stage="tts", trigger="wake")]
    for _ in range(EVENTS_PER_RUN - 3):
        out.append(Action(stamp, topic="zigbee2mqtt/kitchen_light/set", payload='{"state": "ON"}'))
    out.append(SttEnd(stamp, text="turn on the kitchen light", decode_ms=90.0, speech_end_ms=1))
    out.append(RunEnd(stamp, outcome="ok", timings_ms={"stt-end": 300.0, "action": 301.0}))
    return out


async def measure(count: int) -> None:
    settings = HubSettings(zeroconf=False)
    services = fake_services(stt=FakeStt(), tts=FakeTts())
    hub = LoadedHub(None, None, None, services, info=None)  # type: ignore[arg-type]
    satellites = SatelliteController(settings, services)
    history = RunHistory()
    metrics = Metrics(lambda: 0, lambda: 0, {"tiny.en": 1.0})
    services.events.subscribe(history)
    ctx = WebContext(settings, hub, satellites, history, metrics)
    runner = web.AppRunner(build_app(ctx), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    runs = count // EVENTS_PER_RUN
    try:
        base = await _publish(services, runs)  # history only
        services.events.subscribe(metrics)
        with_metrics = await _publish(services, runs)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            received = 0
            async with http.ws_connect("/api/events") as socket:

                async def read() -> None:
                    nonlocal received
                    async for _message in socket:
                        received += 1

                reader = asyncio.create_task(read())
                await asyncio.sleep(0.1)
                with_socket = await _publish(services, runs, settle=True)
                reader.cancel()
            scrapes = []
            for _ in range(50):
                started = time.perf_counter()
                async with http.get("/metrics") as response:
                    await response.read()
                scrapes.append((time.perf_counter() - started) * 1000)
    finally:
        await runner.cleanup()
    print(f"{runs * EVENTS_PER_RUN} events ({runs} runs of {EVENTS_PER_RUN}) through the bus:")
    print(f"  readers: history                       {base:7.1f} us CPU per event")
    print(f"  readers: history + metrics             {with_metrics:7.1f} us CPU per event")
    print(f"  + a WebSocket client reading them all  {with_socket:7.1f} us CPU per event")
    print(f"  (the client read {received} messages)")
    extra_run_ms = (with_socket - base) * EVENTS_PER_RUN / 1000
    print(f"  => metrics and a live WebSocket add {extra_run_ms:.2f} ms of CPU per run")
    print(f"/metrics scrape: median {statistics.median(scrapes):.2f} ms, max {max(scrapes):.2f} ms")


async def _publish(services: object, runs: int, settle: bool = False) -> float:
    """CPU microseconds per event to publish `runs` runs (and, with `settle`, to send them)."""
    bus = services.events  # type: ignore[attr-defined]
    started = time.process_time()
    for run in range(runs):
        for event in events(run):
            bus.publish(event)
        await asyncio.sleep(0)  # let the WebSocket sender run, as the loop would between events
    if settle:
        await asyncio.sleep(0.5)
    return (time.process_time() - started) * 1e6 / (runs * EVENTS_PER_RUN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web_cost", description=__doc__)
    parser.add_argument("--events", type=int, default=15_000, help="events to publish")
    args = parser.parse_args(argv)
    asyncio.run(measure(args.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
