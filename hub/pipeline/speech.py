"""The answer's speech, written once: text (whole, or streaming in) → clauses → Piper → audio
chunks to the peer, the first clause's audio going out as soon as it is rendered while the next
one renders. Audio goes out at the voice's own rate (Piper: 22050 Hz, as Home Assistant sends)
in chunks of `tts.samples_per_chunk` samples."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable

from ..clauses import ClauseBuffer, split_text
from ..engines.tts import LoadedVoice
from .peer import Peer
from .services import TextToSpeech


async def speak(
    tts: TextToSpeech,
    voice: LoadedVoice,
    text: str | AsyncIterable[str],
    peer: Peer,
    on_first_audio: Callable[[], Awaitable[None]],
    split: bool = True,
) -> float:
    """Render `text` onto `peer`; returns the seconds of audio sent.

    Streamed text is fragments to cut into pieces, or (`split` False: the LLM's clauses,
    already cut) pieces to say as they come. Always a well-formed stream: audio-start, chunks,
    audio-stop (with no chunks when there is nothing to say). `on_first_audio` runs once,
    right after the first chunk went out.
    """
    fmt = voice.format
    step = tts.settings.samples_per_chunk * fmt.frame_bytes
    sent_bytes = 0
    opened = False  # audio-start went out
    heard = False  # the first chunk went out

    async def say(pieces: list[str]) -> None:
        nonlocal sent_bytes, opened, heard
        for piece in pieces:
            pcm = await tts.render(voice, piece, first=not heard)
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
