"""Synthesized speech kept in memory, so an answer said before is heard again at once.

Answers repeat ("Turned on the kitchen light."): the audio of each piece of text is kept,
keyed by everything that shapes it (voice, text, speaker, scales, rate), least recently used
first out, bounded both in bytes and in entries. Used from the event loop only.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class SynthesisKey:
    """What makes two renders of a text the same audio."""

    voice: str
    model_path: str
    text: str
    speaker_id: int | None
    length_scale: float
    noise_scale: float
    noise_w_scale: float
    rate_hz: int


class SpeechCache:
    """A bounded LRU of rendered audio (16-bit PCM); `max_bytes=0` keeps nothing."""

    def __init__(self, max_bytes: int, max_entries: int) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.size_bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[SynthesisKey, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: SynthesisKey) -> bool:
        return key in self._entries

    def get(self, key: SynthesisKey) -> bytes | None:
        """The audio rendered for `key` before, or None; a hit becomes the most recent."""
        pcm = self._entries.get(key)
        if pcm is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return pcm

    def put(self, key: SynthesisKey, pcm: bytes) -> None:
        """Keep `pcm` for `key`, dropping the least recently used beyond the bounds."""
        if len(pcm) > self.max_bytes or self.max_entries == 0:
            return  # larger than the whole cache (or the cache is off): keep what is there
        old = self._entries.pop(key, None)
        if old is not None:
            self.size_bytes -= len(old)
        self._entries[key] = pcm
        self.size_bytes += len(pcm)
        while self.size_bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, dropped = self._entries.popitem(last=False)
            self.size_bytes -= len(dropped)
