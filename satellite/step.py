"""What every rule of the satellite machine writes with: the actions of one input, and the
moves the rules share (a new run, the end of a run, back to idle)."""

from __future__ import annotations

import logging

from wyoming.event import Event
from wyoming.pipeline import PipelineStage

from protocol.clock import Instant
from protocol.run_events import PipelineEvent, RunEnd, RunStart, Stamp
from protocol.segmenter import VadSegmenter
from protocol.states import NodeState

from .messages import ActionItem, Emit, PlaySound, Send, StateChanged
from .state import MachineState, Run

_LOGGER = logging.getLogger(__name__)


class StepBase:
    """One input's handling: where the rules write their actions, and the moves they share."""

    def __init__(self, machine: MachineState, at: Instant, speaker_busy: bool) -> None:
        self.m = machine
        self.config = machine.config
        self.at = at
        self.speaker_busy = speaker_busy
        self.actions: list[ActionItem] = []

    def emit(self, event: PipelineEvent) -> None:
        self.actions.append(Emit(event))

    def stamp(self, in_run: bool = True) -> Stamp:
        run = self.m.run
        return Stamp(run.id if run is not None and in_run else None, self.config.node_id, self.at)

    def send(self, event: Event) -> None:
        if self.m.controller is not None:
            self.actions.append(Send(self.m.controller, event))

    def set_state(self, state: NodeState) -> None:
        if state is not self.m.state:
            _LOGGER.debug("State %s -> %s", self.m.state.value, state.value)
            self.m.state = state
            self.actions.append(StateChanged())

    def play(self, sound: str) -> None:
        if self.config.has_speaker:
            self.actions.append(PlaySound(sound))

    def new_run(self, trigger: str, segmenter: VadSegmenter | None, streaming: bool) -> Run:
        self.end_run("replaced", keep_remote=False)
        number = next(self.m._run_numbers)
        run = Run(f"{self.config.node_id}-{number}", trigger, segmenter, streaming)
        self.m.run = run
        start_stage = PipelineStage.WAKE if trigger == "remote" else PipelineStage.ASR
        self.emit(
            RunStart(
                self.stamp(),
                start_stage=start_stage.value,
                end_stage=self.config.end_stage.value,
                trigger=trigger,
            )
        )
        return run

    def end_run(self, outcome: str, keep_remote: bool = True) -> None:
        """The run is over (a remote one is kept unless `keep_remote` is False)."""
        run = self.m.run
        if run is None or (keep_remote and run.trigger == "remote"):
            return
        _LOGGER.debug("Run %s ended: %s", run.id, outcome)
        self.emit(RunEnd(self.stamp(), outcome=outcome))
        self.m.run = None

    def back_to_idle(self, outcome: str) -> None:
        """End the run (keeping a remote one); idle unless the speaker still plays.

        A satellite without a local wake word asks for its always-on pipeline again after a
        run of its own (`listen`) ended, at the next tick.
        """
        self.end_run(outcome)
        if not self.speaker_busy:
            self.set_state(NodeState.IDLE)
        m = self.m
        if self.config.remote_wake and m.run is None and m.controller is not None:
            if not m.paused and m.remote_restart_due is None:
                m.remote_restart_due = self.at

    def segmenter(self) -> VadSegmenter:
        c = self.config
        return VadSegmenter(
            c.vad_threshold,
            c.vad_min_speech_s,
            c.vad_silence_s,
            c.vad_no_speech_timeout_s,
            c.vad_max_command_s,
        )
