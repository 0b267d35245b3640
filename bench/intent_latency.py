"""Intent stage latency: text in → the command arriving at the device over a real broker.

`python -m bench.intent_latency [--rounds N] [--home fake|flat]` starts a private mosquitto,
announces a fake home (testing/fake_home.py: `fake`, the first one and its SENTENCE_TABLE, or
`flat`, the phrasing table's, said in a room too) through MQTT discovery, lets the hub's
registry learn it, then runs every action sentence of the table through the local-intent
handler. For each it prints the time to recognize and build the publishes, and the time until
the device's subscriber has received them on loopback (median and p95).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiomqtt
import numpy as np

from hub.intents.handler import IntentHandler
from hub.intents.home import Home
from hub.intents.registry import EntityRegistry
from protocol.aio import bounded, cancel_and_wait
from protocol.mqtt import MqttNode, MqttSettings
from testing.broker import Broker
from testing.fake_home import (
    FLAT_CONTEXT_TABLE,
    FLAT_ENTITIES,
    FLAT_TABLE,
    SENTENCE_TABLE,
    STATES,
    discovery_messages,
    flat_messages,
)

# (area or None, sentence, publishes)
Rows = list[tuple[str | None, str, list[tuple[str, str]]]]
HOMES: dict[str, tuple[list[tuple[str, str]], int, Rows]] = {
    "fake": (
        [*discovery_messages(), *STATES.items()],
        len(discovery_messages()) + 1,  # the garage device has two components
        [(None, sentence, publishes) for sentence, publishes, _ in SENTENCE_TABLE],
    ),
    "flat": (
        flat_messages(),
        FLAT_ENTITIES,
        [(None, sentence, publishes) for sentence, publishes, _ in FLAT_TABLE]
        + [(area, sentence, publishes) for area, sentence, publishes, _ in FLAT_CONTEXT_TABLE],
    ),
}


async def measure(broker: Broker, rounds: int, home_name: str) -> tuple[list[float], list[float]]:
    """(recognize ms, text → device ms) samples."""
    messages, expected, rows = HOMES[home_name]
    async with aiomqtt.Client("127.0.0.1", broker.port, identifier="bench-devices") as devices:
        for topic, payload in messages:
            await devices.publish(topic, payload, qos=1, retain=True)
        commands = {topic for _, _, publishes in rows for topic, _ in publishes}
        for topic in commands:
            await devices.subscribe(topic, qos=1)
        home = Home(EntityRegistry())
        node = MqttNode(MqttSettings(url=broker.url), "bench-hub", dict)
        learned = asyncio.Event()

        def on_change() -> None:
            if len(home.registry.entities) >= expected:
                learned.set()

        home.follow(node, on_change)
        link = asyncio.create_task(node.run())
        try:
            await bounded(learned.wait(), 30)
            handler = IntentHandler(home.registry, home.publish)
            return await _run(handler, devices, rounds, rows)
        finally:
            await node.stop()
            await bounded(link, 10)


async def _run(
    handler: IntentHandler, devices: aiomqtt.Client, rounds: int, rows: Rows
) -> tuple[list[float], list[float]]:
    arrivals: asyncio.Queue[float] = asyncio.Queue()

    async def receive() -> None:
        async for _ in devices.messages:
            arrivals.put_nowait(time.perf_counter())

    receiver = asyncio.create_task(receive())
    recognize_ms: list[float] = []
    total_ms: list[float] = []
    try:
        for round_index in range(rounds + 1):  # round 0 warms up
            for area, sentence, publishes in rows:
                if not publishes:
                    continue
                started = time.perf_counter()
                outcome = handler.handle(sentence, area=area)
                built = time.perf_counter()
                assert len(outcome.publishes) == len(publishes), (sentence, outcome)
                arrived = [await bounded(arrivals.get(), 10) for _ in publishes][-1]
                if round_index:
                    recognize_ms.append((built - started) * 1000)
                    total_ms.append((arrived - started) * 1000)
    finally:
        await cancel_and_wait(receiver)
    return recognize_ms, total_ms


def main(argv: list[str] | None = None) -> int:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.intent_latency", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="passes over the sentence table")
    parser.add_argument("--home", choices=sorted(HOMES), default="fake", help="which fake home")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        broker = Broker(Path(workdir))
        broker.start()
        try:
            recognize_ms, total_ms = asyncio.run(measure(broker, args.rounds, args.home))
        finally:
            broker.stop()
    sentences = sum(1 for _, _, publishes in HOMES[args.home][2] if publishes)
    print(f"Command: python -m bench.intent_latency --rounds {args.rounds} --home {args.home}")
    print(f"{sentences} action sentences x {args.rounds} rounds = {len(total_ms)} samples\n")
    for label, samples in (
        ("recognize + build publishes", recognize_ms),
        ("text -> command at the device (mosquitto, loopback)", total_ms),
    ):
        median, p95 = np.median(samples), np.percentile(samples, 95)
        print(f"{label:<55} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
