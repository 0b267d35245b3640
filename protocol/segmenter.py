"""End-of-command segmenting: plain code driven by speech probabilities and audio time."""

from __future__ import annotations

from enum import StrEnum


class Segment(StrEnum):
    """What the segmenter saw; every value but SPEECH_STARTED ends the command."""

    SPEECH_STARTED = "speech-started"
    SPEECH_ENDED = "speech-ended"
    NO_SPEECH = "no-speech"
    TOO_LONG = "too-long"


class VadSegmenter:
    """Finds the end of one spoken command.

    Speech starts after `min_speech_s` of frames at or above `threshold`; it ends after
    `silence_s` of frames below it. No speech within `no_speech_timeout_s`, or a command longer
    than `max_command_s`, ends it too. Times are audio time, so tests need no clock.
    """

    def __init__(
        self,
        threshold: float,
        min_speech_s: float,
        silence_s: float,
        no_speech_timeout_s: float,
        max_command_s: float,
    ) -> None:
        self.threshold = threshold
        self.min_speech_s = min_speech_s
        self.silence_s = silence_s
        self.no_speech_timeout_s = no_speech_timeout_s
        self.max_command_s = max_command_s
        self.elapsed_s = 0.0
        self.speech_started = False
        self.ended: Segment | None = None
        self._speech_run_s = 0.0
        self._silence_run_s = 0.0

    @property
    def trailing_silence_s(self) -> float:
        """Seconds of silence since the last speech frame (0 before speech starts)."""
        return self._silence_run_s if self.speech_started else 0.0

    def end(self) -> list[Segment]:
        """The caller read the end in this pause (the hub's semantic end-pointing): the command
        ends now, before `silence_s`. Nothing while there is no pause to end it in."""
        if self.ended is not None or self.trailing_silence_s == 0.0:
            return []
        self.ended = Segment.SPEECH_ENDED
        return [self.ended]

    def update(self, probability: float, frame_s: float) -> list[Segment]:
        """Feed one frame's speech probability; returns what it completed (often nothing)."""
        if self.ended is not None:
            return []
        self.elapsed_s += frame_s
        speech = probability >= self.threshold
        found: list[Segment] = []
        if not self.speech_started:
            self._speech_run_s = self._speech_run_s + frame_s if speech else 0.0
            if speech and self._speech_run_s >= self.min_speech_s:
                self.speech_started = True
                found.append(Segment.SPEECH_STARTED)
            elif self.elapsed_s >= self.no_speech_timeout_s:
                self.ended = Segment.NO_SPEECH
        else:
            self._silence_run_s = 0.0 if speech else self._silence_run_s + frame_s
            if self._silence_run_s >= self.silence_s:
                self.ended = Segment.SPEECH_ENDED
        if self.ended is None and self.elapsed_s >= self.max_command_s:
            self.ended = Segment.TOO_LONG
        if self.ended is not None:
            found.append(self.ended)
        return found
