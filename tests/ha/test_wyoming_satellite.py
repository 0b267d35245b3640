"""Home Assistant's `wyoming` integration drives our satellite: it connects, pings it, and runs
an assist pipeline (our hub as speech-to-text, conversation agent and text-to-speech) when the
satellite hears its wake word."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import assist_pipeline
from homeassistant.components.assist_pipeline.pipeline import KEY_ASSIST_PIPELINE, Pipeline
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.ignore_uncaught_exceptions import (
    IGNORE_UNCAUGHT_EXCEPTIONS,
)

from testing.satrig import Rig
from tests.ha.conftest import homevoice_satellite
from tests.ha.helpers import WyomingTap, add_wyoming_entry, entity_ids, until

pytestmark = pytest.mark.usefixtures("socket_enabled")

# Home Assistant 2025.4.4's Wyoming satellite sends a delayed ping in a task of its own; on a
# reset connection that task fails with ConnectionResetError that nobody retrieves (its bug,
# not ours), and the harness fails any test with such an error. Only Home Assistant and the
# tap run in that loop (our satellite and hub are processes of their own, checked by what they
# do), so the one test that resets the connection lets those pass.
IGNORE_UNCAUGHT_EXCEPTIONS.append((__name__, "test_home_assistant_gone_mid_run_then_back"))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with homevoice_satellite(tmp_path, ["--wake-word", "hey_jarvis"]) as running:
        yield running


def log_has(rig: Rig, pattern: str) -> bool:
    return re.search(pattern, rig.log.read_text(errors="replace")) is not None


def pipeline_events(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Every event of every pipeline run Home Assistant has recorded, as dicts."""
    pipeline_data = hass.data[KEY_ASSIST_PIPELINE]
    return [
        {"type": str(event.type), "data": event.data or {}}
        for runs in pipeline_data.pipeline_debug.values()
        for run in runs.values()
        for event in run.events
    ]


async def hub_pipeline(hass: HomeAssistant, hub_port: int) -> tuple[ConfigEntry, Pipeline]:
    """Our hub added to Home Assistant, and the preferred pipeline using it for speech-to-text,
    conversation and text-to-speech."""
    assert await async_setup_component(hass, "homeassistant", {})
    hub_entry = await add_wyoming_entry(hass, hub_port)
    hub_ids = entity_ids(hass, hub_entry)
    pipeline = assist_pipeline.async_get_pipeline(hass)
    await assist_pipeline.async_update_pipeline(
        hass,
        pipeline,
        language="en",
        stt_engine=hub_ids["stt"][0],
        stt_language="en",
        conversation_engine=hub_ids["conversation"][0],
        conversation_language="en",
        tts_engine=hub_ids["tts"][0],
        tts_language="en_US",
    )
    return hub_entry, pipeline


async def test_satellite_pipeline_through_home_assistant(
    hass: HomeAssistant, hub_port: int, rig: Rig, speech: dict[str, bytes]
) -> None:
    hub_entry, pipeline = await hub_pipeline(hass, hub_port)

    async with WyomingTap(rig.port) as tap:
        satellite_entry = await add_wyoming_entry(hass, tap.port)
        satellite_ids = entity_ids(hass, satellite_entry)
        assert "assist_satellite" in satellite_ids, satellite_ids
        assert "stt" not in satellite_ids, satellite_ids
        assert satellite_entry.title == "HA Kitchen"

        try:
            # HA connects and sends run-satellite; it then pings every 2 s and drops a satellite
            # that does not answer within 5 s. Two pongs = the keep-alive works.
            await until(lambda: tap.count("->", "run-satellite") == 1, 20, "run-satellite from HA")
            await until(lambda: tap.count("<-", "pong") >= 2, 15, "two pongs from the satellite")
            assert tap.count("->", "ping") >= 2

            rig.play(speech["wake_command"])
            await until(
                lambda: any(e["type"] == "run-end" for e in pipeline_events(hass)),
                40,
                "a pipeline run that ends",
            )
            events = pipeline_events(hass)
            types = [e["type"] for e in events]
            assert "error" not in types, events
            for expected in ("run-start", "stt-end", "intent-end", "tts-end", "run-end"):
                assert expected in types, types
            run_start = next(e for e in events if e["type"] == "run-start")["data"]
            assert run_start["pipeline"] == pipeline.id
            stt_text = next(e for e in events if e["type"] == "stt-end")["data"]["stt_output"][
                "text"
            ]
            assert "what time is it" in stt_text.lower().replace("?", ""), stt_text
            intent_end = next(e for e in events if e["type"] == "intent-end")["data"]
            answer = intent_end["intent_output"]["response"]["speech"]["plain"]["speech"]
            assert any(ch.isdigit() for ch in answer), answer

            # HA streamed our hub's spoken answer to the satellite, which played it.
            await until(lambda: rig.snd_done() is not None, 20, "the satellite played the answer")
            played = rig.snd_done()
            assert played is not None and played[0] > 22050 * 2 * 0.5, played
            # The Wyoming conversation HA had with our satellite, in order.
            await until(lambda: tap.count("<-", "played") == 1, 10, "played from the satellite")
            # "<-": satellite to HA; "->": HA to satellite.
            seen = [e for e in tap.events if e[1] not in ("audio-chunk", "ping", "pong")]
            order = [
                ("<-", "detection"),
                ("<-", "run-pipeline"),
                ("->", "transcribe"),
                ("->", "transcript"),
                ("->", "synthesize"),
                ("->", "audio-start"),
                ("->", "audio-stop"),
                ("<-", "played"),
            ]
            assert [e for e in seen if e in order] == order, seen
            assert tap.count("->", "run-satellite") == 1, "HA reconnected: a ping went unanswered?"
        finally:
            print(f"satellite log: {rig.log}; events: {tap.events[-40:]}")
            assert await hass.config_entries.async_unload(satellite_entry.entry_id)
            assert await hass.config_entries.async_unload(hub_entry.entry_id)
            await hass.async_block_till_done()


async def test_home_assistant_gone_mid_run_then_back(
    hass: HomeAssistant, hub_port: int, rig: Rig, speech: dict[str, bytes]
) -> None:
    """Home Assistant's connection to the satellite reset in the middle of a run (HA restarting
    or crashing): the satellite goes back to waiting, HA connects again, and the next wake word
    runs a whole pipeline."""
    hub_entry, _pipeline = await hub_pipeline(hass, hub_port)
    async with WyomingTap(rig.port) as tap:
        satellite_entry = await add_wyoming_entry(hass, tap.port)
        try:
            await until(lambda: tap.count("->", "run-satellite") == 1, 20, "run-satellite from HA")
            rig.play(speech["wake_command"])
            await until(lambda: tap.count("<-", "run-pipeline") == 1, 20, "the first run")
            tap.cut()  # mid-run: the command is still being streamed
            # HA reconnects by itself and drives the satellite again.
            await until(lambda: tap.count("->", "run-satellite") == 2, 60, "HA back")
            before = tap.count("<-", "played")
            rig.play(speech["wake_command"])
            await until(lambda: tap.count("<-", "played") > before, 60, "a whole run after")
            assert tap.count("->", "audio-stop") >= 1
        finally:
            print(f"satellite log: {rig.log}; events: {tap.events[-60:]}")
            assert await hass.config_entries.async_unload(satellite_entry.entry_id)
            assert await hass.config_entries.async_unload(hub_entry.entry_id)
            await hass.async_block_till_done()
