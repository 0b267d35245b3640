"""The satellite as a pure state machine: inputs in, actions out.

`SatelliteMachine.handle(input, at, speaker_busy)` takes one thing that happened (a wake word
heard, a mic chunk with its speech probabilities, an event from the controller, the speaker
finishing, a tick of the clock) and returns what to do about it (send this event to the
controller, play this sound, publish this pipeline event, ...). It reads no clock (time comes
in `at`), starts no task and does no I/O; the runtime (`satellite.runtime`) carries the actions
out, in order, and stops at the first send that fails (reporting `ControllerGone`).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

from wyoming.audio import AudioChunk, AudioStop
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.snd import Played as PlayedEvent
from wyoming.wake import Detection

from protocol.audio import STT_FORMAT
from protocol.clock import Instant
from protocol.run_events import (
    Error,
    Played,
    Stop,
    SttEnd,
    SttStart,
    TimerCancelled,
    TimerFinished,
    TimerStarted,
    TimerUpdated,
    TtsStart,
    VoiceStarted,
    VoiceStopped,
    Wake,
)
from protocol.segmenter import Segment
from protocol.states import NodeState
from protocol.trigger import WakeHit

from .messages import (
    ActionItem,
    Adopt,
    AnswerStarted,
    ControllerEvent,
    ControllerGone,
    Drop,
    EndSpeakerStream,
    Input,
    InternalError,
    InterruptSpeaker,
    ListenRequested,
    MicAudio,
    MicStatus,
    Muted,
    Pause,
    PlaybackEnded,
    ResetVad,
    StateChanged,
    Tick,
    TimerChanged,
    WakeHeard,
)
from .state import MachineState, Run
from .step import StepBase

_LOGGER = logging.getLogger(__name__)
REMOTE_RESTART_S = 2.0  # after an error, ask for the always-on pipeline again


class SatelliteMachine(MachineState):
    """The satellite's state and rules; `handle` is the only way in."""

    def handle(self, item: Input, at: Instant, speaker_busy: bool) -> list[ActionItem]:
        """What to do about `item`, which happened at `at`."""
        step = _Step(self, at, speaker_busy)
        step.handle(item)
        return step.actions


class _Step(StepBase):
    """One input's handling: the rules."""

    # ---- dispatch

    def handle(self, item: Input) -> None:
        match item:
            case Adopt():
                self.adopt(item.controller)
            case Pause():
                self.reset(paused=True)
            case ControllerGone():
                self.controller_gone(item.controller)
            case WakeHeard():
                self.wake_heard(item.hit)
            case MicAudio():
                self.mic_audio(item)
            case MicStatus():
                self.mic_status(item.ok)
            case ListenRequested():
                self.listen()
            case Muted():
                self.mute(item.on)
            case ControllerEvent():
                self.controller_event(item)
            case TimerChanged():
                self.timer(item)
            case AnswerStarted():
                self.answer_started()
            case PlaybackEnded():
                self.playback_ended(item.report)
            case InternalError():
                _LOGGER.error("Processing mic audio failed (%s); back to idle", item.message)
                self.emit(Error(self.stamp(), code="internal-error", message=item.message))
                self.back_to_idle("error")
            case Tick():
                self.tick()

    # ---- the controller link

    def adopt(self, controller: Hashable) -> None:
        previous = self.m.controller
        if previous is not None and previous is not controller:
            _LOGGER.info("A new controller replaces the previous one")
            self.actions.append(Drop(previous))
        self.m.controller = controller
        self.reset(paused=False)
        if self.config.remote_wake:
            self.start_remote()

    def reset(self, paused: bool) -> None:
        """No run, idle; `paused` until the next `run-satellite`."""
        self.end_run("cancelled", keep_remote=False)
        self.m.paused = paused
        self.m.remote_restart_due = None
        self.set_state(NodeState.IDLE)
        self.actions.append(StateChanged())  # paused and controller are in the state too

    def controller_gone(self, controller: Hashable) -> None:
        if controller is not self.m.controller:
            return
        _LOGGER.info("The controller disconnected")
        self.m.controller = None
        self.actions.append(EndSpeakerStream())
        self.reset(paused=True)

    # ---- starting runs

    def wake_heard(self, hit: WakeHit) -> None:
        if self.m.muted:
            return
        if hit.name == self.config.stop_word:
            if self.speaker_busy:
                _LOGGER.info("Stop word %s (score %.2f): playback stopped", hit.name, hit.score)
                self.emit(Stop(self.stamp(), name=hit.name, score=round(hit.score, 3)))
                self.actions.append(InterruptSpeaker())
            return
        if self.m.state is not NodeState.IDLE or self.m.paused or self.m.controller is None:
            _LOGGER.debug("Wake word %s ignored in state %s", hit.name, self.m.state.value)
            return
        self.start_run("wake", hit)

    def listen(self) -> None:
        if self.m.muted or self.m.controller is None or self.m.paused:
            reason = "muted" if self.m.muted else "no controller connected"
            _LOGGER.warning("Listen command ignored: %s", reason)
            self.emit(Error(self.stamp(in_run=False), code="cannot-listen", message=reason))
            return
        _LOGGER.info("Listening without a wake word (listen command)")
        self.start_run("listen", None)

    def start_run(self, trigger: str, hit: WakeHit | None) -> None:
        self.new_run(trigger, self.segmenter(), streaming=True)
        self.set_state(NodeState.WAKE)
        if hit is not None:
            _LOGGER.info("Wake word %s (score %.2f)", hit.name, hit.score)
            score = round(hit.score, 3)
            self.emit(
                Wake(
                    self.stamp(),
                    name=hit.name,
                    phrase=hit.phrase,
                    score=score,
                    source="satellite",
                    audio_ms=hit.timestamp_ms,
                )
            )
            # The score rides in the context: a controller arbitrating between satellites
            # that heard the same wake word picks the most confident one.
            self.send(
                Detection(
                    name=hit.name, timestamp=hit.timestamp_ms, context={"score": score}
                ).event()
            )
        pipeline = RunPipeline(
            start_stage=PipelineStage.ASR,
            end_stage=self.config.end_stage,
            wake_word_name=hit.name if hit else None,
        )
        self.send(pipeline.event())
        self.play("awake")
        self.actions.append(ResetVad())
        self.set_state(NodeState.LISTENING)

    def start_remote(self) -> None:
        """No local wake word: one `run-pipeline` from `wake`, restarted by the controller."""
        self.new_run("remote", None, streaming=True)
        pipeline = RunPipeline(
            start_stage=PipelineStage.WAKE, end_stage=self.config.end_stage, restart_on_end=True
        )
        self.send(pipeline.event())

    # ---- streaming

    def mic_audio(self, audio: MicAudio) -> None:
        run = self.m.run
        if run is None or not self.m.streams_audio:
            return
        chunk = AudioChunk(
            rate=STT_FORMAT.rate_hz,
            width=STT_FORMAT.width,
            channels=STT_FORMAT.channels,
            audio=audio.pcm,
            timestamp=audio.timestamp_ms,
        )
        self.send(chunk.event())
        segmenter = run.segmenter
        if segmenter is None:
            return
        for probability, frame_s in audio.speech:
            for segment in segmenter.update(probability, frame_s):
                if segment is Segment.SPEECH_STARTED:
                    self.emit(VoiceStarted(self.stamp(), audio_ms=audio.timestamp_ms))
                    continue
                _LOGGER.info("End of command: %s after %.1f s", segment.value, segmenter.elapsed_s)
                self.end_of_command(run, segment, audio)
                return

    def end_of_command(self, run: Run, segment: Segment, audio: MicAudio) -> None:
        end_ms = audio.timestamp_ms + len(audio.pcm) * 1000 // (
            STT_FORMAT.frame_bytes * STT_FORMAT.rate_hz
        )
        self.emit(VoiceStopped(self.stamp(), reason=segment.value, audio_ms=end_ms))
        run.streaming = False
        run.answer_due = self.at.plus_ms(self.config.response_timeout_s * 1000)
        self.set_state(NodeState.PROCESSING)
        self.play("done")
        self.send(AudioStop(timestamp=end_ms).event())

    def mute(self, on: bool) -> None:
        if on == self.m.muted:
            return
        self.m.muted = on
        run = self.m.run
        if on and run is not None and run.streaming and run.trigger != "remote":
            run.streaming = False
            self.send(AudioStop().event())
            self.back_to_idle("cancelled")
        self.actions.append(StateChanged())

    def mic_status(self, ok: bool) -> None:
        if ok != self.m.mic_ok:
            self.m.mic_ok = ok
            self.actions.append(StateChanged())

    # ---- the controller's events

    def controller_event(self, item: ControllerEvent) -> None:
        kind = item.kind
        if kind == "detect":
            self.m.remote_restart_due = None
            if self.config.remote_wake and not self.speaker_busy:
                self.set_state(NodeState.IDLE)
        elif kind == "detection":
            self.emit(Wake(self.stamp(), name=item.name, source="controller"))
            self.play("awake")
            self.set_state(NodeState.LISTENING)
        elif kind == "transcribe":
            self.emit(SttStart(self.stamp()))
        elif kind == "voice-started":
            self.emit(VoiceStarted(self.stamp()))
        elif kind == "voice-stopped":
            self.emit(VoiceStopped(self.stamp(), reason="controller"))
        elif kind == "transcript":
            _LOGGER.info("Transcript: %s", item.text)
            self.emit(SttEnd(self.stamp(), text=item.text or ""))
            self.transcript()
        elif kind == "synthesize":
            _LOGGER.info("Answer: %s", item.text)
            self.emit(TtsStart(self.stamp(), text=item.text, voice=item.name or ""))
        elif kind == "error":
            self.controller_error(item.code or "error", item.text or "")

    def transcript(self) -> None:
        """The controller has what it needs: stop sending mic audio and wait for the answer
        (a remote run keeps streaming; without a speaker no answer will come)."""
        run = self.m.run
        if run is None:
            return
        if run.trigger != "remote" and run.streaming:
            run.streaming = False
            self.play("done")
        run.answer_due = self.at.plus_ms(self.config.response_timeout_s * 1000)
        if self.config.has_speaker:
            self.set_state(NodeState.PROCESSING)
        else:
            self.back_to_idle("ok")

    def controller_error(self, code: str, text: str) -> None:
        _LOGGER.warning("Controller error %s: %s", code, text)
        self.emit(Error(self.stamp(), code=code, message=text))
        if self.config.remote_wake and self.m.remote_restart_due is None:
            # unless the controller restarts it itself (a `detect` cancels this)
            self.m.remote_restart_due = self.at.plus_ms(REMOTE_RESTART_S * 1000)
        self.back_to_idle("error")

    def timer(self, item: TimerChanged) -> None:
        stamp = self.stamp(in_run=False)
        total = item.total_seconds
        if item.kind == "started":
            self.m.timers.add(item.timer_id)
            self.emit(TimerStarted(stamp, id=item.timer_id, total_seconds=total or 0))
        elif item.kind == "updated":
            self.m.timers.add(item.timer_id)
            self.emit(
                TimerUpdated(
                    stamp, id=item.timer_id, total_seconds=total or 0, is_active=item.is_active
                )
            )
        elif item.kind == "cancelled":
            self.m.timers.discard(item.timer_id)
            self.emit(TimerCancelled(stamp, id=item.timer_id))
        elif item.kind == "finished":
            self.m.timers.discard(item.timer_id)
            _LOGGER.info("Timer %s finished", item.timer_id)
            self.emit(TimerFinished(stamp, id=item.timer_id))
            self.play("timer")
        self.actions.append(StateChanged())

    # ---- the speaker

    def answer_started(self) -> None:
        """Answer audio started (an announcement does not interrupt a local command)."""
        run = self.m.run
        if run is None or not run.streaming or run.trigger == "remote":
            self.set_state(NodeState.RESPONDING)

    def playback_ended(self, report: bool) -> None:
        if report:
            self.emit(Played(self.stamp()))
            self.send(PlayedEvent().event())
        if self.speaker_busy:
            return
        if self.m.state is NodeState.RESPONDING:
            self.back_to_idle("ok")
        elif self.m.run is None:
            self.set_state(NodeState.IDLE)

    # ---- time

    def tick(self) -> None:
        run = self.m.run
        due = run.answer_due if run is not None else None
        if (
            run is not None
            and due is not None
            and not run.streaming
            and self.at.monotonic_ms > due.monotonic_ms
            and not self.speaker_busy
        ):
            timeout_s = self.config.response_timeout_s
            _LOGGER.info("No answer within %.0f s; idle again", timeout_s)
            self.emit(
                Error(self.stamp(), code="no-answer", message="no answer from the controller")
            )
            self.back_to_idle("error")
        restart = self.m.remote_restart_due
        if restart is not None and self.at.monotonic_ms >= restart.monotonic_ms:
            self.m.remote_restart_due = None
            if self.m.controller is not None and not self.m.paused:
                _LOGGER.info("Restarting the streaming pipeline after the error")
                self.start_remote()
