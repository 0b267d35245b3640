"""Which satellite answers when several hear the same wake word: plain code driven by time.

The first wake-up with a phrase opens a contest for `window_s`; every satellite that reports
the same phrase before it closes joins. The best entry wins (the highest wake score, then the
earliest). A satellite reporting the phrase after the contest closed, within `cooldown_s` of
its opening, loses at once (Home Assistant's duplicate wake-up rule). The contest costs no
latency: the winner's audio is buffered while it is open, and the command is still being
spoken.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    """One satellite's claim to a wake-up."""

    satellite_id: str
    score: float | None
    time_s: float
    late: bool = False  # reported after the contest closed: a duplicate, never the winner

    def rank(self) -> tuple[float, float]:
        """Sorts best first: higher score (unknown counts as 0), then earlier."""
        return (-(self.score if self.score is not None else 0.0), self.time_s)


@dataclass
class Contest:
    """The satellites that heard one wake phrase at about the same time."""

    phrase: str
    opened_s: float
    closes_s: float
    entries: list[Entry] = field(default_factory=list)

    def winner(self) -> Entry:
        """The best entry among those in time."""
        return min((e for e in self.entries if not e.late), key=Entry.rank)


class Arbiter:
    """Decides which of several near-simultaneous wake-ups runs."""

    def __init__(self, window_s: float = 0.3, cooldown_s: float = 2.0) -> None:
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self._contests: dict[str, Contest] = {}

    def claim(
        self, phrase: str, satellite_id: str, score: float | None, now_s: float
    ) -> tuple[Contest, Entry]:
        """Enter a wake-up; ask `verdict` once `contest.closes_s` has passed."""
        key = phrase.strip().lower()
        entry = Entry(satellite_id, score, now_s)
        contest = self._contests.get(key)
        recent = contest is not None and now_s - contest.opened_s < self.cooldown_s
        if contest is not None and recent and now_s < contest.closes_s:
            contest.entries = [e for e in contest.entries if e.satellite_id != satellite_id]
            contest.entries.append(entry)
            return contest, entry
        if contest is not None and recent and satellite_id not in _ids(contest):
            entry = Entry(satellite_id, score, now_s, late=True)  # a duplicate of a decided one
            contest.entries.append(entry)
            return contest, entry
        contest = Contest(key, now_s, now_s + self.window_s, [entry])
        self._contests[key] = contest
        self._forget_old(now_s)
        return contest, entry

    def verdict(self, contest: Contest, entry: Entry, now_s: float) -> bool | None:
        """True: this entry runs; False: it lost; None: the contest is still open."""
        if entry.late:
            return False
        if now_s < contest.closes_s:
            return None
        return contest.winner() == entry

    def _forget_old(self, now_s: float) -> None:
        stale = [k for k, c in self._contests.items() if now_s - c.opened_s >= self.cooldown_s]
        for key in stale:
            del self._contests[key]


def _ids(contest: Contest) -> set[str]:
    return {e.satellite_id for e in contest.entries}
