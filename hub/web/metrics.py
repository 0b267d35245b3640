"""Prometheus metrics, read off the event stream: runs by outcome, per-stage latency from the
end of speech, errors by code; and gauges read when scraped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from protocol.run_events import Error, PipelineEvent, RunEnd, RunStart

CONTENT_TYPE = CONTENT_TYPE_LATEST
# histogram label → the timing (ms from the end of speech) it observes
STAGES = {
    "stt": "stt-end",
    "intent": "intent-end",
    "action": "action",
    "first_audio": "tts-first-audio",
}
BUCKETS_S = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)


class Metrics:
    """The hub's metrics in a registry of their own; call it with every pipeline event."""

    def __init__(
        self,
        satellites_connected: Callable[[], int],
        wyoming_connections: Callable[[], int],
        load_s: dict[str, float],
    ) -> None:
        disable_created_metrics()  # no `_created` series: they only add noise to dashboards
        self.registry = CollectorRegistry()
        self.runs = Counter(
            "homevoice_runs",
            "Pipeline runs, by how they ended and what started them",
            ["outcome", "trigger"],
            registry=self.registry,
        )
        self.stages = Histogram(
            "homevoice_stage_seconds",
            "Seconds from the end of speech (or the run's start) to each stage",
            ["stage"],
            buckets=BUCKETS_S,
            registry=self.registry,
        )
        self.errors = Counter(
            "homevoice_errors", "Errors, by code", ["code"], registry=self.registry
        )
        connected = Gauge(
            "homevoice_satellites_connected",
            "Satellites the hub drives that are connected",
            registry=self.registry,
        )
        connected.set_function(satellites_connected)
        wyoming = Gauge(
            "homevoice_wyoming_connections",
            "Wyoming clients (Home Assistant) connected now",
            registry=self.registry,
        )
        wyoming.set_function(wyoming_connections)
        loaded = Gauge(
            "homevoice_model_load_seconds",
            "Seconds each model took to load and warm at start",
            ["model"],
            registry=self.registry,
        )
        for model, seconds in load_s.items():
            loaded.labels(model).set(seconds)
        # The process's memory, open files and CPU (process_*), and its event loop's tasks:
        # what a long run watches for leaks.
        ProcessCollector(registry=self.registry)
        loop = asyncio.get_running_loop()
        tasks = Gauge(
            "homevoice_asyncio_tasks",
            "Tasks on the hub's event loop now",
            registry=self.registry,
        )
        tasks.set_function(lambda: len(asyncio.all_tasks(loop)))
        self._triggers: dict[str, str] = {}

    def __call__(self, event: PipelineEvent) -> None:
        if isinstance(event, RunStart) and event.run_id is not None:
            self._triggers[event.run_id] = event.trigger
        elif isinstance(event, Error):
            self.errors.labels(event.code).inc()
        elif isinstance(event, RunEnd):
            trigger = self._triggers.pop(event.run_id or "", "unknown")
            self.runs.labels(event.outcome, trigger).inc()
            timings = event.timings_ms
            for label, stage in STAGES.items():
                at_ms = timings.get(stage)
                if at_ms is not None and at_ms >= 0:
                    self.stages.labels(label).observe(at_ms / 1000)
            later = [ms for ms in timings.values() if ms >= 0]
            if later:
                self.stages.labels("end_to_end").observe(max(later) / 1000)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
