"""Cutting text into the pieces speech is synthesized in: sentences, and a short first clause.

Text may arrive whole or in fragments (streamed LLM tokens, `synthesize-chunk`s). A piece is
emitted as soon as it is known to be complete, so speech can start with the first one.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"')\]]*(?=\s)|\n+")
# A clause ends at , ; : or before a conjunction that starts a new clause.
_CLAUSE_END = re.compile(
    r"[,;:](?=\s)|\w(?=\s+(?:and|but|or|so|because|while|although|then)\s)", re.IGNORECASE
)
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "no", "approx", "prof", "jr", "sr"}
)
MIN_FIRST_CLAUSE_CHARS = 20


def _is_abbreviation(text: str, end: int) -> bool:
    words = text[:end].rstrip(".").split()
    return bool(words) and words[-1].lower() in _ABBREVIATIONS


class ClauseBuffer:
    """Accumulates text fragments and yields complete pieces in order.

    The first piece of a text is cut at the end of its first clause (a comma, semicolon or
    colon, or before a conjunction such as "and") when the sentence it starts is longer than
    `first_clause_min_chars`, so the first audio comes sooner; later pieces are whole
    sentences. `first_clause_min_chars=0` never cuts at clauses.
    """

    def __init__(self, first_clause_min_chars: int = 40) -> None:
        self._first_clause_min_chars = first_clause_min_chars
        self._buffer = ""
        self._emitted_any = False

    def add(self, fragment: str) -> list[str]:
        """Add a fragment; return the pieces it completed."""
        self._buffer += fragment
        pieces: list[str] = []
        while True:
            piece = self._take_complete()
            if piece is None:
                return pieces
            if piece:
                pieces.append(piece)

    def finish(self) -> list[str]:
        """Flush what is left at the end of the text."""
        pieces: list[str] = []
        while self._buffer.strip():
            first = self._take_first_clause(len(self._buffer), at_end=True)
            if first is None:
                first = self._buffer
                self._buffer = ""
            pieces.append(self._emit(first))
        self._buffer = ""
        return [p for p in pieces if p]

    def _emit(self, piece: str) -> str:
        self._emitted_any = True
        return piece.strip()

    def _take_complete(self) -> str | None:
        sentence_end = self._sentence_end()
        first = self._take_first_clause(sentence_end, at_end=sentence_end is not None)
        if first is not None:
            return self._emit(first)
        if sentence_end is None:
            return None
        piece, self._buffer = self._buffer[:sentence_end], self._buffer[sentence_end:].lstrip()
        return self._emit(piece)

    def _sentence_end(self) -> int | None:
        for match in _SENTENCE_END.finditer(self._buffer):
            if match.group().startswith("\n") or not _is_abbreviation(self._buffer, match.start()):
                return match.end()
        return None

    def _take_first_clause(self, sentence_end: int | None, at_end: bool) -> str | None:
        """Cut the first piece at a clause boundary when its sentence is long enough."""
        if self._emitted_any or self._first_clause_min_chars <= 0:
            return None
        known_length = sentence_end if sentence_end is not None else len(self._buffer)
        if known_length <= self._first_clause_min_chars and (at_end or sentence_end is not None):
            return None
        if sentence_end is None and len(self._buffer) <= self._first_clause_min_chars:
            return None
        limit = sentence_end if sentence_end is not None else len(self._buffer)
        for match in _CLAUSE_END.finditer(self._buffer, 0, limit):
            if match.end() >= MIN_FIRST_CLAUSE_CHARS:
                piece = self._buffer[: match.end()]
                self._buffer = self._buffer[match.end() :].lstrip()
                return piece
        return None


def split_text(text: str, first_clause_min_chars: int = 40) -> list[str]:
    """All pieces of a complete text."""
    buffer = ClauseBuffer(first_clause_min_chars)
    return buffer.add(text) + buffer.finish()
