"""The answer's speech, written once: text (whole, or streaming in) → clauses → Piper → audio
chunks to the peer, the first clause's audio going out as soon as it is rendered while the next
one renders. Audio goes out at the voice's own rate (Piper: 22050 Hz, as Home Assistant sends)
in chunks of `tts.samples_per_chunk` samples. An answer known before its turn (a complete
command heard while the end of speech is confirmed) can have its first piece rendered ahead
(`prepare`): `speak` then sends that audio at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass

from protocol.aio import TaskSet

from ..clauses import ClauseBuffer, split_text
from ..engines.tts import LoadedVoice
from .peer import Peer
from .services import TextToSpeech


@dataclass(frozen=True)
class Prepared:
    """The first piece of an answer, rendering before its turn; cancel `task` to drop it."""

    text: str  # the whole answer
    piece: str  # its first piece, as `speak` cuts it
    task: asyncio.Task[bytes]


def prepare(tts: TextToSpeech, voice: LoadedVoice, text: str, tasks: TaskSet) -> Prepared | None:
    """Start rendering the first piece of `text` (None when there is nothing to say)."""
    pieces = split_text(text, tts.settings.first_clause_min_chars)
    if not pieces:
        return None
    task = tasks.spawn(tts.render(voice, pieces[0], first=True), "answer ahead", report=False)
    task.add_done_callback(_seen)  # a dropped render's failure is nobody's
    return Prepared(text, pieces[0], task)


def _seen(task: asyncio.Task[bytes]) -> None:
    if not task.cancelled():
        task.exception()


async def speak(
    tts: TextToSpeech,
    voice: LoadedVoice,
    text: str | AsyncIterable[str],
    peer: Peer,
    on_first_audio: Callable[[], Awaitable[None]],
    split: bool = True,
    prepared: Prepared | None = None,
) -> float:
    """Render `text` onto `peer`; returns the seconds of audio sent.

    Streamed text is fragments to cut into pieces, or (`split` False: the LLM's clauses,
    already cut) pieces to say as they come. Always a well-formed stream: audio-start, chunks,
    audio-stop (with no chunks when there is nothing to say). `on_first_audio` runs once,
    right after the first chunk went out. `prepared` is used when it is this text's first
    piece (the caller drops it otherwise).
    """
    fmt = voice.format
    step = tts.settings.samples_per_chunk * fmt.frame_bytes
    sent_bytes = 0
    opened = False  # audio-start went out
    heard = False  # the first chunk went out

    ahead = prepared if prepared is not None and prepared.text == text else None

    async def render(piece: str) -> bytes:
        nonlocal ahead
        if ahead is not None and not heard and piece == ahead.piece:
            task, ahead = ahead.task, None
            return await task
        return await tts.render(voice, piece, first=not heard)

    async def say(pieces: list[str]) -> None:
        nonlocal sent_bytes, opened, heard
        for piece in pieces:
            pcm = await render(piece)
            if not opened:
                await peer.start_audio(fmt)
                opened = True
            for offset in range(0, len(pcm), step):
                await peer.write_audio(pcm[offset : offset + step])
                if not heard:
                    heard = True
                    await on_first_audio()
            sent_bytes += len(pcm)

    first_clause = tts.settings.first_clause_min_chars
    if isinstance(text, str):
        tts.check_length(len(text))
        await say(split_text(text, first_clause))
    else:
        clauses = ClauseBuffer(first_clause)
        chars = 0
        async for fragment in text:
            chars += len(fragment)
            tts.check_length(chars)
            await say(clauses.add(fragment) if split else [fragment])
        await say(clauses.finish())
    if not opened:
        await peer.start_audio(fmt)
    await peer.end_audio()
    return fmt.seconds(sent_bytes)
