"""The one event stream: every run's typed events (`protocol.run_events`) go to the readers
that subscribed (MQTT, logs, the run history, the web face), and each run's record gives the
stage timings."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from protocol.run_events import PipelineEvent, Stage, SttEnd

_LOGGER = logging.getLogger(__name__)

EventReader = Callable[[PipelineEvent], None]


class EventBus:
    """One producer side, many readers; a reader that fails is logged and kept."""

    def __init__(self) -> None:
        self._readers: list[tuple[EventReader, str | None]] = []

    def subscribe(self, reader: EventReader, node_id: str | None = None) -> Callable[[], None]:
        """Call `reader` for every event from now on (of `node_id` only, when given);
        returns the function that unsubscribes it."""
        entry = (reader, node_id)
        self._readers.append(entry)

        def unsubscribe() -> None:
            if entry in self._readers:
                self._readers.remove(entry)

        return unsubscribe

    def publish(self, event: PipelineEvent) -> None:
        """Hand `event` to every reader, in the order they subscribed."""
        for reader, node_id in list(self._readers):
            if node_id is not None and node_id != event.node_id:
                continue
            try:
                reader(event)
            except Exception:
                _LOGGER.exception("Pipeline event reader failed on %s", event.stage.wire)


@dataclass
class RunRecord:
    """The events of one run, and the stage timings derived from them."""

    run_id: str
    node_id: str
    events: list[PipelineEvent] = field(default_factory=list)

    def first(self, stage: Stage) -> PipelineEvent | None:
        """The first event of `stage`, if any."""
        return next((e for e in self.events if e.stage is stage), None)

    def origin_ms(self) -> float | None:
        """The monotonic ms timings count from: the end of speech, else the run's start."""
        stt_end = self.first(Stage.STT_END)
        if isinstance(stt_end, SttEnd) and stt_end.speech_end_ms is not None:
            at = stt_end.stamp.at
            return at.monotonic_ms - (at.epoch_ms - stt_end.speech_end_ms)
        start = self.first(Stage.RUN_START)
        return start.stamp.at.monotonic_ms if start is not None else None

    def timings_ms(self) -> dict[str, float]:
        """Milliseconds from the end of speech (or the run's start) to each later stage,
        at its first occurrence; negative for what came before the end of speech."""
        origin = self.origin_ms()
        if origin is None:
            return {}
        timings: dict[str, float] = {}
        for event in self.events:
            if event.stage > Stage.STT_START and event.stage is not Stage.ERROR:
                timings.setdefault(event.stage.wire, round(event.stamp.at.monotonic_ms - origin, 1))
        return timings

    def as_json(self) -> dict[str, object]:
        """The HTTP form: id, node, timings and every event."""
        return {
            "run_id": self.run_id,
            "node_id": self.node_id,
            "timings_ms": self.timings_ms(),
            "events": [event.as_json() for event in self.events],
        }


class RunHistory:
    """A reader that keeps the last `per_node` runs of every node."""

    def __init__(self, per_node: int = 20) -> None:
        self.per_node = per_node
        self._runs: dict[str, deque[RunRecord]] = {}
        self._by_id: dict[str, RunRecord] = {}

    def __call__(self, event: PipelineEvent) -> None:
        run_id = event.run_id
        if run_id is None:
            return
        record = self._by_id.get(run_id)
        if record is None:
            runs = self._runs.setdefault(event.node_id, deque())
            if len(runs) == self.per_node:
                del self._by_id[runs.popleft().run_id]
            record = RunRecord(run_id, event.node_id)
            runs.append(record)
            self._by_id[run_id] = record
        record.events.append(event)

    def runs(self, node_id: str) -> list[RunRecord]:
        """The node's recent runs, oldest first."""
        return list(self._runs.get(node_id, ()))

    def all(self) -> list[RunRecord]:
        """Every node's recent runs."""
        return [record for runs in self._runs.values() for record in runs]
