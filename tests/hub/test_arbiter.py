"""Arbitration between satellites that heard the same wake word: pure, driven by time."""

from __future__ import annotations

from hub.satellites.arbiter import Arbiter


def test_one_satellite_wins_alone_once_the_window_closes() -> None:
    arbiter = Arbiter(window_s=0.3, cooldown_s=2.0)
    contest, entry = arbiter.claim("Hey Jarvis", "kitchen", 0.9, now_s=10.0)
    assert arbiter.verdict(contest, entry, now_s=10.1) is None
    assert arbiter.verdict(contest, entry, now_s=10.3) is True


def test_highest_score_wins_then_earliest() -> None:
    arbiter = Arbiter(window_s=0.3)
    c1, kitchen = arbiter.claim("hey jarvis", "kitchen", 0.7, now_s=10.0)
    c2, living = arbiter.claim("Hey Jarvis", "living", 0.95, now_s=10.1)
    c3, hall = arbiter.claim("Hey Jarvis", "hall", 0.95, now_s=10.2)
    assert c1 is c2 is c3
    verdicts = [arbiter.verdict(c1, e, now_s=10.4) for e in (kitchen, living, hall)]
    assert verdicts == [False, True, False]
    assert c1.winner().satellite_id == "living"


def test_unknown_scores_fall_back_to_the_earliest() -> None:
    arbiter = Arbiter(window_s=0.3)
    contest, first = arbiter.claim("", "a", None, now_s=1.0)
    _, second = arbiter.claim("", "b", None, now_s=1.05)
    assert arbiter.verdict(contest, first, 1.3) is True
    assert arbiter.verdict(contest, second, 1.3) is False


def test_a_late_duplicate_within_the_cooldown_loses_at_once() -> None:
    arbiter = Arbiter(window_s=0.3, cooldown_s=2.0)
    contest, first = arbiter.claim("hey jarvis", "kitchen", 0.5, now_s=0.0)
    assert arbiter.verdict(contest, first, 0.3) is True
    late_contest, late = arbiter.claim("hey jarvis", "living", 0.99, now_s=1.0)
    assert arbiter.verdict(late_contest, late, now_s=1.0) is False


def test_different_wake_words_do_not_compete() -> None:
    arbiter = Arbiter(window_s=0.3)
    c1, jarvis = arbiter.claim("hey jarvis", "kitchen", 0.5, now_s=0.0)
    c2, nabu = arbiter.claim("okay nabu", "living", 0.9, now_s=0.1)
    assert c1 is not c2
    assert arbiter.verdict(c1, jarvis, 0.5) is True and arbiter.verdict(c2, nabu, 0.5) is True


def test_the_same_satellite_waking_again_starts_a_new_contest() -> None:
    arbiter = Arbiter(window_s=0.3, cooldown_s=2.0)
    c1, first = arbiter.claim("hey jarvis", "kitchen", 0.9, now_s=0.0)
    assert arbiter.verdict(c1, first, 0.3) is True
    c2, again = arbiter.claim("hey jarvis", "kitchen", 0.9, now_s=1.0)  # interrupts its answer
    assert c2 is not c1
    assert arbiter.verdict(c2, again, 1.3) is True


def test_after_the_cooldown_anyone_may_wake_again() -> None:
    arbiter = Arbiter(window_s=0.3, cooldown_s=2.0)
    arbiter.claim("hey jarvis", "kitchen", 0.9, now_s=0.0)
    contest, later = arbiter.claim("hey jarvis", "living", 0.1, now_s=2.5)
    assert arbiter.verdict(contest, later, 2.8) is True


def test_a_zero_window_lets_the_first_run_at_once() -> None:
    arbiter = Arbiter(window_s=0.0, cooldown_s=2.0)
    contest, first = arbiter.claim("hey jarvis", "kitchen", 0.5, now_s=5.0)
    assert arbiter.verdict(contest, first, now_s=5.0) is True
    late_contest, late = arbiter.claim("hey jarvis", "living", 0.9, now_s=5.1)
    assert arbiter.verdict(late_contest, late, now_s=5.1) is False
