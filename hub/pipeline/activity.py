"""What the hub is doing: the busiest state among its runs, for its own MQTT state."""

from __future__ import annotations

import logging
from collections.abc import Callable

from protocol.states import NodeState

_LOGGER = logging.getLogger(__name__)


class Activity:
    """Each run reports its state here; readers hear when the hub's state changes."""

    def __init__(self) -> None:
        self._runs: dict[str, NodeState] = {}
        self._readers: list[Callable[[Activity], None]] = []
        self.state = NodeState.IDLE

    @property
    def busy_runs(self) -> int:
        """Runs past waiting for a wake word."""
        return sum(1 for state in self._runs.values() if state.busyness > 0)

    def add_reader(self, reader: Callable[[Activity], None]) -> None:
        """Call `reader` whenever the state or the number of busy runs changes."""
        self._readers.append(reader)

    def remove_reader(self, reader: Callable[[Activity], None]) -> None:
        """Stop calling `reader`."""
        if reader in self._readers:
            self._readers.remove(reader)

    def set(self, run_id: str, state: NodeState) -> None:
        """Run `run_id` is now in `state`."""
        before = (self.state, self.busy_runs)
        self._runs[run_id] = state
        self._changed(before)

    def end(self, run_id: str) -> None:
        """Run `run_id` is over."""
        before = (self.state, self.busy_runs)
        self._runs.pop(run_id, None)
        self._changed(before)

    def _changed(self, before: tuple[NodeState, int]) -> None:
        busiest = max(self._runs.values(), key=lambda s: s.busyness, default=NodeState.IDLE)
        self.state = busiest if busiest.busyness > 0 else NodeState.IDLE
        if (self.state, self.busy_runs) == before:
            return
        for reader in list(self._readers):
            try:
                reader(self)
            except Exception:
                _LOGGER.exception("Hub state reader failed")
