"""Piper alone, in the benchmark's own process: the floor under a TTS server's first audio."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

SIDES = ("ours", "peer")


def piper_floor(
    voice_path: Path, texts: dict[str, str], rounds: int, raw: dict[str, object]
) -> list[tuple[str, float, float]]:
    """Piper alone, in this process: the first piece of each text ({n} = 10) as each server
    cuts it (ours: `hub.clauses`; the peer: sentence-stream's first sentence), to its first
    audio; (name, ours ms, peer ms) per text, medians."""
    from piper import PiperVoice
    from sentence_stream import stream_to_sentences

    from hub.clauses import split_text

    voice = PiperVoice.load(voice_path)

    def timed(piece: str) -> float:
        started = time.perf_counter()
        next(iter(voice.synthesize(piece)))  # one chunk per sentence: the first one
        return time.perf_counter() - started

    figures: list[tuple[str, float, float]] = []
    for label, text in texts.items():
        sample = text.format(n=10)
        pieces = {"ours": split_text(sample)[0], "peer": next(stream_to_sentences([sample]))}
        timed(pieces["ours"])  # warm-up
        samples: dict[str, list[float]] = {side: [] for side in SIDES}
        for _ in range(rounds):  # alternating, as the servers are measured
            for side in SIDES:
                samples[side].append(timed(pieces[side]))
        name = f"Piper alone (in-process), first piece of new text, {label}"
        raw[name] = {"pieces": pieces, **samples}
        ours, peer = (1e3 * float(np.median(samples[side])) for side in SIDES)
        figures.append((name, ours, peer))
    return figures
