"""Command payloads are read strictly; a refused one is one `error` event saying why, on the
node's event topic, and the handler never sees it. Real mosquitto."""

from __future__ import annotations

import json

import pytest

from protocol.commands import CommandRefused, percent, spoken_text, switch
from testing.broker import Broker
from testing.mqtt_watch import publish, watching
from tests.protocol.test_mqtt import TOPICS, running_node, until


@pytest.mark.parametrize(("payload", "value"), [("ON", True), (" off ", False), ("1", True)])
def test_switch_reads_on_and_off(payload: str, value: bool) -> None:
    assert switch(payload) is value


@pytest.mark.parametrize(("payload", "value"), [("0", 0), ("42", 42), ("99.6", 100), ("100", 100)])
def test_percent_reads_zero_to_a_hundred(payload: str, value: int) -> None:
    assert percent(payload) == value


@pytest.mark.parametrize("payload", ["loud", "", "nan", "inf", "-1", "101", "1e400", "0x10"])
def test_percent_refuses_the_rest(payload: str) -> None:
    with pytest.raises(CommandRefused, match=r"expected a number 0\.\.100") as refused:
        percent(payload)
    assert refused.value.code == "bad-payload"


def test_switch_refuses_the_rest_and_names_what_it_got() -> None:
    with pytest.raises(CommandRefused, match="'maybe'"):
        switch("maybe")


@pytest.mark.parametrize(
    ("payload", "text"),
    [("Dinner is ready.", "Dinner is ready."), ('{"text": " Hi. "}', "Hi.")],
)
def test_spoken_text_is_plain_or_json(payload: str, text: str) -> None:
    assert spoken_text(payload, 100) == text


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ('{"text": "Hi."', "invalid-json"),
        ('{"words": "Hi."}', "invalid-json"),
        ('{"text": 5}', "invalid-json"),
        ("   ", "no-text"),
        ("a" * 101, "text-too-long"),
    ],
)
def test_spoken_text_refuses(payload: str, code: str) -> None:
    with pytest.raises(CommandRefused) as refused:
        spoken_text(payload, 100)
    assert refused.value.code == code


async def test_a_refused_command_is_one_error_event_and_nothing_else(broker: Broker) -> None:
    volumes: list[int] = []

    async def on_command(name: str, payload: str) -> None:
        volumes.append(percent(payload))

    async with running_node(broker, on_command) as node, watching(broker.port) as watch:
        await node.wait_connected(10)
        await publish(broker.port, "homevoice/n1/volume/set", "loud")
        await publish(broker.port, "homevoice/n1/volume/set", "x" * 1024 * 1024)
        await publish(broker.port, "homevoice/n1/volume/set", "30")
        await until(lambda: bool(volumes))
        first = await watch.wait_for(TOPICS.event)
        second = await watch.wait_for(TOPICS.event, after=watch.messages.index(first) + 1)
    assert volumes == [30]
    errors = [json.loads(first.payload), json.loads(second.payload)]
    assert [(e["type"], e["code"], e["run_id"]) for e in errors] == [
        ("error", "bad-payload", None),
        ("error", "command-too-large", None),
    ]
    assert errors[0]["message"] == (
        "homevoice/n1/volume/set refused: expected a number 0..100, got 'loud'"
    )
    assert "1048576 bytes" in errors[1]["message"] and not first.retain
