"""End-of-command segmenting, driven by probabilities and audio time alone."""

from __future__ import annotations

from protocol.segmenter import Segment, VadSegmenter

FRAME_S = 0.032


def segmenter(**overrides: float) -> VadSegmenter:
    settings = {
        "threshold": 0.5,
        "min_speech_s": 0.1,
        "silence_s": 0.6,
        "no_speech_timeout_s": 5.0,
        "max_command_s": 15.0,
        **overrides,
    }
    return VadSegmenter(**settings)


def run(vad: VadSegmenter, probabilities: list[float]) -> list[tuple[int, Segment]]:
    return [(i, s) for i, p in enumerate(probabilities) for s in vad.update(p, FRAME_S)]


def test_speech_then_silence_ends_after_the_silence_window() -> None:
    found = run(segmenter(), [0.0] * 5 + [0.9] * 30 + [0.1] * 30)
    started = 5 + 3  # 4 frames of 32 ms make the 0.1 s of speech needed
    ended = 35 + 18  # 19 frames of 32 ms make 0.6 s of silence
    assert found == [(started, Segment.SPEECH_STARTED), (ended, Segment.SPEECH_ENDED)]


def test_a_click_is_not_speech_and_short_pauses_do_not_end_it() -> None:
    clicks = [0.9, 0.1] * 10
    pause = [0.9] * 10 + [0.1] * 10 + [0.9] * 10  # 0.32 s pause inside the command
    found = run(segmenter(), clicks + pause + [0.0] * 40)
    assert [s for _, s in found] == [Segment.SPEECH_STARTED, Segment.SPEECH_ENDED]
    assert found[1][0] == len(clicks) + len(pause) + 18


def test_no_speech_times_out() -> None:
    vad = segmenter(no_speech_timeout_s=1.0)
    found = run(vad, [0.0] * 100)
    assert found == [(31, Segment.NO_SPEECH)]  # 32 frames = 1.024 s
    assert vad.ended is Segment.NO_SPEECH and not vad.speech_started


def test_endless_speech_is_cut_at_the_maximum_length() -> None:
    found = run(segmenter(max_command_s=2.0), [0.9] * 200)
    assert [s for _, s in found] == [Segment.SPEECH_STARTED, Segment.TOO_LONG]
    assert found[-1][0] == 62  # 63 frames = 2.016 s


def test_nothing_after_the_end() -> None:
    vad = segmenter(no_speech_timeout_s=0.5)
    run(vad, [0.0] * 20)
    assert vad.update(0.9, FRAME_S) == []


def test_the_caller_ends_it_in_a_pause_but_not_in_speech() -> None:
    vad = segmenter()
    run(vad, [0.9] * 10)
    assert vad.end() == []  # in speech: nothing to end
    run(vad, [0.1] * 3)
    assert vad.end() == [Segment.SPEECH_ENDED] and vad.ended is Segment.SPEECH_ENDED
    assert vad.end() == [] and vad.update(0.1, FRAME_S) == []
