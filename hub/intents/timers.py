"""Voice timers: start, pause, resume, add or take off time, cancel, how long is left; each
change and a finished timer is reported as an event."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_LOGGER = logging.getLogger(__name__)

MAX_TIMERS = 20
MAX_SECONDS = 24 * 3600


@dataclass
class Timer:
    """One timer, running or paused."""

    id: str
    total_s: float  # the length it was set for
    ends_s: float  # monotonic time it ends at, while running
    owner: str | None = None  # the satellite that set it, if any
    paused_left_s: float | None = None  # seconds left, while paused
    left_s: float = 0.0  # seconds left when the last event about it was emitted
    _handle: asyncio.TimerHandle | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        """Running (not paused)."""
        return self.paused_left_s is None

    def remaining_s(self, now_s: float) -> float:
        """Seconds left at monotonic time `now_s`."""
        if self.paused_left_s is not None:
            return self.paused_left_s
        return max(0.0, self.ends_s - now_s)


def spoken_duration(seconds: float) -> str:
    """`1 hour and 30 minutes`, `4 minutes and 5 seconds`, `45 seconds`."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value} {unit}{'s' if value != 1 else ''}"
        for value, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second"))
        if value
    ]
    if not parts:
        return "0 seconds"
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


class Timers:
    """The timers; `on_event(kind, timer)` hears started, updated, cancelled and finished.

    `updated` is a pause, a resume, or time added or taken off.
    """

    def __init__(
        self,
        on_event: Callable[[str, Timer], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._listeners = [on_event] if on_event is not None else []
        self._clock = clock
        self._timers: dict[str, Timer] = {}
        self._ids = itertools.count(1)

    def _owned(self, owner: str | None) -> list[Timer]:
        """A satellite's timers (None: every timer)."""
        return [t for t in self._timers.values() if owner is None or t.owner == owner]

    def running(self, owner: str | None = None) -> list[tuple[Timer, float]]:
        """Timers (of `owner`, or all, paused ones too) with their seconds left, soonest first."""
        now = self._clock()
        return sorted(((t, t.remaining_s(now)) for t in self._owned(owner)), key=lambda p: p[1])

    def start(self, seconds: float, owner: str | None = None) -> Timer:
        """Start a timer (needs a running event loop); ValueError past the limits."""
        if not 0 < seconds <= MAX_SECONDS:
            raise ValueError("a timer runs from 1 second to 24 hours")
        if len(self._timers) >= MAX_TIMERS:
            raise ValueError(f"there are {MAX_TIMERS} timers running already")
        timer = Timer(
            id=f"timer-{next(self._ids)}",
            total_s=seconds,
            ends_s=self._clock() + seconds,
            owner=owner,
        )
        self._schedule(timer, seconds)
        self._timers[timer.id] = timer
        self._emit("started", timer)
        return timer

    def pause(self, owner: str | None = None) -> list[Timer]:
        """Pause the running timers (of `owner`, or all); returns the ones it paused."""
        now = self._clock()
        paused = [t for t in self._owned(owner) if t.active]
        for timer in paused:
            self._unschedule(timer)
            timer.paused_left_s = timer.remaining_s(now)
            self._emit("updated", timer)
        return paused

    def resume(self, owner: str | None = None) -> list[Timer]:
        """Resume the paused timers (of `owner`, or all); returns the ones it resumed."""
        now = self._clock()
        resumed = [t for t in self._owned(owner) if not t.active]
        for timer in resumed:
            left = timer.remaining_s(now)
            timer.paused_left_s = None
            timer.ends_s = now + left
            self._schedule(timer, left)
            self._emit("updated", timer)
        return resumed

    def adjust(self, timer: Timer, seconds: float) -> float:
        """Add `seconds` to `timer` (negative: take them off); returns the seconds left.

        Taking off all that is left finishes it now; ValueError past 24 hours.
        """
        now = self._clock()
        left = timer.remaining_s(now) + seconds
        if left > MAX_SECONDS:
            raise ValueError("a timer runs for at most 24 hours")
        if left <= 0:
            self._unschedule(timer)
            self._finish(timer.id)
            return 0.0
        if timer.active:
            timer.ends_s = now + left
            self._unschedule(timer)
            self._schedule(timer, left)
        else:
            timer.paused_left_s = left
        self._emit("updated", timer)
        return left

    def _schedule(self, timer: Timer, seconds: float) -> None:
        timer._handle = asyncio.get_running_loop().call_later(seconds, self._finish, timer.id)

    @staticmethod
    def _unschedule(timer: Timer) -> None:
        if timer._handle is not None:
            timer._handle.cancel()
            timer._handle = None

    def cancel_all(self, owner: str | None = None) -> list[Timer]:
        """Cancel every timer (of `owner`, or all); returns them."""
        cancelled = self._owned(owner)
        for timer in cancelled:
            self._unschedule(timer)
            del self._timers[timer.id]
            self._emit("cancelled", timer)
        return cancelled

    def _finish(self, timer_id: str) -> None:
        timer = self._timers.pop(timer_id, None)
        if timer is not None:
            _LOGGER.info("Timer %s (%s) finished", timer.id, spoken_duration(timer.total_s))
            self._emit("finished", timer)

    def add_listener(self, on_event: Callable[[str, Timer], None]) -> None:
        """Also tell `on_event` about started, updated, cancelled and finished timers."""
        self._listeners.append(on_event)

    def _emit(self, kind: str, timer: Timer) -> None:
        timer.left_s = timer.remaining_s(self._clock())
        for listener in self._listeners:
            try:
                listener(kind, timer)
            except Exception:
                _LOGGER.exception("Timer event handler failed")
