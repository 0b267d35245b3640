"""What a node is doing: one enum for the satellite, the hub's view of each satellite and the hub
itself, as published in every MQTT `state`."""

from __future__ import annotations

from enum import StrEnum


class NodeState(StrEnum):
    """A node's state; `busyness` orders them when several runs are under way at once."""

    DISCONNECTED = "disconnected"  # the hub cannot reach the satellite
    ERROR = "error"  # the node cannot listen (its microphone is down)
    IDLE = "idle"  # waiting for a wake word
    WAKE = "wake"  # the wake word was heard; the run is being started
    LISTENING = "listening"  # the command is being spoken
    PROCESSING = "processing"  # transcribing and understanding it
    RESPONDING = "responding"  # the answer is being spoken

    @property
    def busyness(self) -> int:
        """0 for not doing anything, then by how far a run has got."""
        return _BUSYNESS[self]


_BUSYNESS = {
    NodeState.DISCONNECTED: 0,
    NodeState.ERROR: 0,
    NodeState.IDLE: 0,
    NodeState.WAKE: 1,
    NodeState.LISTENING: 2,
    NodeState.PROCESSING: 3,
    NodeState.RESPONDING: 4,
}
