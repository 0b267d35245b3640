"""Cutting answers into pieces that can be spoken as soon as each is complete."""

from __future__ import annotations

import pytest

from hub.clauses import ClauseBuffer, split_text

LONG = (
    "The kitchen light is on, and the temperature in the living room is twenty one degrees. "
    "Anything else?"
)


def test_short_text_is_one_piece() -> None:
    assert split_text("Turn on the kitchen light.") == ["Turn on the kitchen light."]


def test_long_first_sentence_starts_with_its_first_clause() -> None:
    assert split_text(LONG) == [
        "The kitchen light is on,",
        "and the temperature in the living room is twenty one degrees.",
        "Anything else?",
    ]


def test_short_leading_clause_is_not_cut() -> None:
    assert split_text("Yes, the light is on. OK") == ["Yes, the light is on.", "OK"]


def test_clause_cutting_can_be_turned_off() -> None:
    assert split_text(LONG, first_clause_min_chars=0)[0].endswith("degrees.")


def test_abbreviations_and_decimals_do_not_end_sentences() -> None:
    assert split_text("Dr. Smith set it to 21.5 degrees. Done.") == [
        "Dr. Smith set it to 21.5 degrees.",
        "Done.",
    ]


def test_streamed_words_give_the_same_pieces_as_soon_as_complete() -> None:
    buffer = ClauseBuffer()
    emitted: list[list[str]] = []
    for word in LONG.split(" "):
        emitted.append(buffer.add(word + " "))
    pieces = [p for batch in emitted for p in batch] + buffer.finish()
    assert pieces == split_text(LONG)
    first_batch = next(i for i, batch in enumerate(emitted) if batch)
    sentence_end = LONG.split(" ").index("degrees.")
    assert first_batch < sentence_end  # the first clause left before its sentence ended


def test_newlines_split_and_blank_text_is_nothing() -> None:
    assert split_text("line one\nline two") == ["line one", "line two"]
    assert split_text("   ") == []


# text -> the pieces spoken: sentence boundaries sentence-stream knows, list numbers kept with
# their item, and no markdown left for the voice.
TABLE = [
    ("The U.S. Army is here. It is big.", ["The U.S. Army is here.", "It is big."]),
    (
        "The U.S. Army is ready for the big parade, and the navy is on its way.",
        ["The U.S. Army is ready for the big parade,", "and the navy is on its way."],
    ),
    ("Mr. Jones left at 5.30 today. Bye.", ["Mr. Jones left at 5.30 today.", "Bye."]),
    ("1. Turn on.", ["1. Turn on."]),
    ("1. Turn on.\n2. Turn off.", ["1. Turn on.", "2. Turn off."]),
    ("**Bold** move, with *stars* and `code`.", ["Bold move, with stars and code."]),
    ("# Lights\nThe kitchen light is on.", ["Lights", "The kitchen light is on."]),
    ("Two lights:\n- kitchen\n- hallway", ["Two lights:", "kitchen", "hallway"]),
    ("* kitchen\n* **hallway**", ["kitchen", "hallway"]),
    ("> Quoted.\n---\nDone.", ["Quoted.", "Done."]),
    ("Read [the docs](http://example.org/a.b) now.", ["Read the docs now."]),
    ("Snake_case stays, __bold__ goes.", ["Snake_case stays, bold goes."]),
    ("```\n**\n```", []),
]


@pytest.mark.parametrize(("text", "pieces"), TABLE, ids=[row[0][:24] for row in TABLE])
def test_pieces_whole_and_streamed_by_character(text: str, pieces: list[str]) -> None:
    assert split_text(text) == pieces
    buffer = ClauseBuffer()
    streamed = [piece for char in text for piece in buffer.add(char)] + buffer.finish()
    assert streamed == pieces


def test_no_piece_keeps_markdown() -> None:
    answer = "## Your **lights**\n\n1. `kitchen`: *on*\n2. __hallway__: off\n\n- done"
    pieces = split_text(answer)
    assert pieces == ["Your lights", "1. kitchen: on", "2. hallway: off", "done"]
    assert not any(mark in piece for piece in pieces for mark in "*`#_")
