"""Pipeline events: one typed stream per run, read by MQTT, the logs and the run history."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

_LOGGER = logging.getLogger(__name__)


class Stage(IntEnum):
    """Pipeline events in the order a run produces them (`error` may come at any point)."""

    RUN_START = 0
    WAKE = 1
    STT_START = 2
    STT_END = 3
    INTENT_START = 4
    INTENT_END = 5
    ACTION = 6
    TTS_START = 7
    TTS_FIRST_AUDIO = 8
    TTS_END = 9
    ERROR = 10
    RUN_END = 11

    @property
    def wire(self) -> str:
        """The name on the wire: `run-start`, `tts-first-audio`, ..."""
        return self.name.lower().replace("_", "-")


def monotonic_ms() -> float:
    """The clock every event is stamped with."""
    return time.monotonic() * 1000.0


@dataclass(frozen=True)
class PipelineEvent:
    """One event of one run."""

    stage: Stage
    run_id: str
    node_id: str
    timestamp_ms: float
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The MQTT / HTTP form."""
        return {
            "type": self.stage.wire,
            "run_id": self.run_id,
            "node_id": self.node_id,
            "timestamp_ms": round(self.timestamp_ms, 1),
            **self.data,
        }


EventReader = Callable[[PipelineEvent], None]


@dataclass
class RunRecord:
    """The events of one run, and the stage timings derived from them."""

    run_id: str
    events: list[PipelineEvent] = field(default_factory=list)

    def at_ms(self, stage: Stage) -> float | None:
        """When `stage` happened (first occurrence), or None."""
        return next((e.timestamp_ms for e in self.events if e.stage is stage), None)

    def timings_ms(self) -> dict[str, float]:
        """Milliseconds from the end of speech (`stt-end`'s `speech_end_ms`) or run start."""
        start = self.at_ms(Stage.RUN_START)
        stt_end = next((e for e in self.events if e.stage is Stage.STT_END), None)
        origin = stt_end.data.get("speech_end_ms") if stt_end else None
        origin = origin if isinstance(origin, int | float) else start
        if origin is None:
            return {}
        return {
            e.stage.wire: round(e.timestamp_ms - origin, 1)
            for e in self.events
            if e.stage > Stage.STT_START and e.stage is not Stage.ERROR
        }


class RunEvents:
    """Stamps and fans out the events of one node's runs, keeping the last `history` runs."""

    def __init__(self, node_id: str, history: int = 20) -> None:
        self.node_id = node_id
        self.runs: deque[RunRecord] = deque(maxlen=history)
        self._readers: list[EventReader] = []

    def add_reader(self, reader: EventReader) -> None:
        """Call `reader` for every event from now on."""
        self._readers.append(reader)

    def start(self, run_id: str) -> RunRecord:
        """Begin the record of a new run."""
        record = RunRecord(run_id)
        self.runs.append(record)
        return record

    def emit(self, record: RunRecord, stage: Stage, **data: Any) -> PipelineEvent:
        """Stamp one event now and hand it to every reader; a failing reader is logged."""
        event = PipelineEvent(stage, record.run_id, self.node_id, monotonic_ms(), data)
        record.events.append(event)
        for reader in self._readers:
            try:
                reader(event)
            except Exception:
                _LOGGER.exception("Pipeline event reader failed on %s", stage.wire)
        return event
