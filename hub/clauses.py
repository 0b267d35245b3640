"""Cutting text into the pieces speech is synthesized in: sentences, and a short first clause.

Text may arrive whole or in fragments (streamed LLM tokens, `synthesize-chunk`s). Sentence
boundaries come from `sentence-stream` (what wyoming-piper uses: it knows "U.S." and "Dr." are
not the end of a sentence); a line break also ends a piece. On top of it the first piece of a
text is cut at its first clause, so speech can start sooner. Markdown (emphasis, code, headings,
bullets, links) is taken out before anything reaches the voice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sentence_stream import SentenceBoundaryDetector

# A clause ends at , ; : or before a conjunction that starts a new clause.
_CLAUSE_END = re.compile(
    r"[,;:](?=\s)|\w(?=\s+(?:and|but|or|so|because|while|although|then)\s)", re.IGNORECASE
)
MIN_FIRST_CLAUSE_CHARS = 20
_NEWLINES = re.compile(r"(?:\r?\n)+")
# A piece that is only a list item's number ("1.", "2)") goes with the item after it.
_LIST_NUMBER = re.compile(r"^\(?\d{1,3}[.)]$")
_LINE_MARKER = re.compile(r"^(?:\s*(?:#{1,6}|[-*+\u2022>]))+\s+")  # heading, bullet, quote
_MARKDOWN = (
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # [text](url), ![alt](image)
    (re.compile(r"`+|\*+|(?<!\w)_{1,2}|_{1,2}(?!\w)|~~"), ""),  # code, emphasis, strike
    (re.compile(r"^\s*(?:-{3,}|_{3,}|={3,})\s*$"), ""),  # a rule
    (re.compile(r"\s+"), " "),
)


def speakable(piece: str) -> str:
    """`piece` without markdown, on one line; empty when nothing is left to say."""
    text = piece.strip()
    if not _LIST_NUMBER.match(text):
        text = _LINE_MARKER.sub("", text)
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return text.strip()


def _first_sentence_chars(text: str, at_end: bool) -> int | None:
    """The length of the first sentence of `text` (list numbers before it included), or None
    while it may still go on."""
    probe = SentenceBoundaryDetector()
    sentences = list(probe.add_chunk(text))
    if at_end:
        sentences.append(probe.finish())
    chars = 0
    for sentence in sentences:
        chars += len(sentence) + 1
        if not _LIST_NUMBER.match(speakable(sentence)):
            return chars - 1
    return None


class ClauseBuffer:
    """Accumulates text fragments and yields complete, speakable pieces in order.

    The first piece of a text is cut at the end of its first clause (a comma, semicolon or
    colon, or before a conjunction such as "and") when the sentence it starts is longer than
    `first_clause_min_chars`, so the first audio comes sooner; later pieces are whole
    sentences. `first_clause_min_chars=0` never cuts at clauses.
    """

    def __init__(self, first_clause_min_chars: int = 40) -> None:
        self._first_clause_min_chars = first_clause_min_chars
        self._sentences = SentenceBoundaryDetector()
        self._head: str | None = "" if first_clause_min_chars > 0 else None  # before the cut
        self._number = ""  # a list number waiting for its item

    def add(self, fragment: str) -> list[str]:
        """Add a fragment; return the pieces it completed."""
        text = _NEWLINES.sub("\n\n", fragment)  # a line break ends a piece
        if self._head is None:
            return self._speakable(self._sentences.add_chunk(text))
        self._head += text
        return self._from_head(at_end=False)

    def finish(self) -> list[str]:
        """Flush what is left at the end of the text."""
        if self._head is not None:
            pieces = self._from_head(at_end=True)
        else:
            pieces = self._speakable([self._sentences.finish()])
        if self._number:
            pieces.append(self._number)
            self._number = ""
        return pieces

    def _from_head(self, at_end: bool) -> list[str]:
        """Before the first piece: cut at the first clause, or hand the text on whole."""
        head = self._head or ""
        sentence_chars = _first_sentence_chars(head, at_end)
        known_chars = sentence_chars if sentence_chars is not None else len(head.strip())
        if known_chars > self._first_clause_min_chars:
            for match in _CLAUSE_END.finditer(head):
                if sentence_chars is not None and match.start() >= sentence_chars:
                    break
                if match.end() >= MIN_FIRST_CLAUSE_CHARS:
                    self._head = None
                    pieces = self._speakable([head[: match.end()]])
                    return pieces + self._after_head(head[match.end() :].lstrip(), at_end)
        if sentence_chars is None and not at_end:
            return []  # the first sentence may still grow a clause to cut at
        self._head = None
        return self._after_head(head, at_end)

    def _after_head(self, text: str, at_end: bool) -> list[str]:
        pieces = self._speakable(self._sentences.add_chunk(text))
        if at_end:
            pieces += self._speakable([self._sentences.finish()])
        return pieces

    def _speakable(self, sentences: Iterable[str]) -> list[str]:
        """Markdown out; a lone list number joined to its item."""
        pieces: list[str] = []
        for sentence in sentences:
            piece = speakable(sentence)
            if not piece:
                continue
            if _LIST_NUMBER.match(piece):
                self._number = f"{self._number} {piece}".strip()
                continue
            if self._number:
                piece, self._number = f"{self._number} {piece}", ""
            pieces.append(piece)
        return pieces


def split_text(text: str, first_clause_min_chars: int = 40) -> list[str]:
    """All pieces of a complete text."""
    buffer = ClauseBuffer(first_clause_min_chars)
    return buffer.add(text) + buffer.finish()
