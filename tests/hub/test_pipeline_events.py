"""Pipeline events: typed stages in order, stamped, fanned out, kept per run."""

from __future__ import annotations

import pytest

from hub.satellites.events import PipelineEvent, RunEvents, Stage


def test_stages_have_an_explicit_order_and_wire_names() -> None:
    assert Stage.RUN_START < Stage.WAKE < Stage.STT_END < Stage.ACTION < Stage.RUN_END
    assert Stage.TTS_FIRST_AUDIO.wire == "tts-first-audio"
    assert [s.wire for s in Stage][:3] == ["run-start", "wake", "stt-start"]


def test_events_carry_run_node_and_monotonic_time_and_reach_every_reader() -> None:
    events = RunEvents("kitchen", history=2)
    seen: list[dict[str, object]] = []
    events.add_reader(lambda e: seen.append(e.as_json()))

    def broken(_event: PipelineEvent) -> None:
        raise RuntimeError("a broken reader is logged, not fatal")

    events.add_reader(broken)
    record = events.start("kitchen-1")
    events.emit(record, Stage.RUN_START)
    events.emit(record, Stage.STT_END, text="hi", speech_end_ms=record.events[0].timestamp_ms)
    assert [e["type"] for e in seen] == ["run-start", "stt-end"]
    assert {e["run_id"] for e in seen} == {"kitchen-1"} and {e["node_id"] for e in seen} == {
        "kitchen"
    }
    assert seen[0]["timestamp_ms"] <= seen[1]["timestamp_ms"]  # type: ignore[operator]


def test_timings_count_from_the_end_of_speech() -> None:
    events = RunEvents("kitchen")
    record = events.start("kitchen-1")
    events.emit(record, Stage.RUN_START)
    events.emit(record, Stage.STT_START)
    events.emit(record, Stage.STT_END, speech_end_ms=record.events[0].timestamp_ms - 300)
    events.emit(record, Stage.ACTION, topic="t", payload="p")
    timings = record.timings_ms()
    assert set(timings) == {"stt-end", "action"}
    assert timings["stt-end"] >= 300 and timings["action"] >= timings["stt-end"]


def test_history_keeps_the_last_runs() -> None:
    events = RunEvents("kitchen", history=2)
    for n in range(3):
        events.start(f"kitchen-{n}")
    assert [r.run_id for r in events.runs] == ["kitchen-1", "kitchen-2"]


@pytest.mark.parametrize("stage", list(Stage))
def test_every_stage_serializes(stage: Stage) -> None:
    events = RunEvents("x")
    event = events.emit(events.start("x-1"), stage)
    assert event.as_json()["type"] == stage.wire
