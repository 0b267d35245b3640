"""The two clocks every event is stamped with: the wall clock, which readers on other machines
can compare, and the monotonic clock, which measures durations here without jumps."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Instant:
    """One moment read off both clocks at once."""

    epoch_ms: int  # milliseconds since 1970 (UTC): comparable across machines
    monotonic_ms: float  # this machine's monotonic clock: for durations only

    def plus_ms(self, delta_ms: float) -> Instant:
        """The moment `delta_ms` later (earlier when negative), on both clocks."""
        return Instant(round(self.epoch_ms + delta_ms), self.monotonic_ms + delta_ms)

    def ms_since(self, earlier: Instant) -> float:
        """Milliseconds from `earlier` to this moment, on the monotonic clock."""
        return self.monotonic_ms - earlier.monotonic_ms


def now() -> Instant:
    """This moment."""
    return Instant(time.time_ns() // 1_000_000, time.monotonic() * 1000.0)
