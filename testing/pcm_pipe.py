"""Stand-ins for `arecord` and `aplay` that run at real-time pace, for tests and benchmarks.

python -m testing.pcm_pipe mic --queue DIR
    Prints 16 kHz 16-bit mono PCM at real time: silence, except when a `*.raw` clip is
    dropped into DIR, which is played next (and renamed `*.played`). The wall-clock time
    each clip started goes to DIR/started.log as "<name> <unix time>".
python -m testing.pcm_pipe snd --rate 22050 --out FILE
    Reads raw PCM (16-bit mono) from stdin at real-time pace and appends it to FILE; when
    stdin closes it writes "<bytes> <unix time>" to FILE.done.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

CHUNK_SAMPLES = 1024
RATE_HZ = 16000


def _next_clip(queue: Path) -> Path | None:
    clips = sorted(queue.glob("*.raw"))
    return clips[0] if clips else None


def mic(queue: Path) -> None:
    """Paced silence with queued clips spliced in."""
    out = sys.stdout.buffer
    chunk_bytes = 2 * CHUNK_SAMPLES
    chunk_s = CHUNK_SAMPLES / RATE_HZ
    pending = b""
    next_s = time.monotonic()
    while True:
        if not pending:
            clip = _next_clip(queue)
            if clip is not None:
                pending = clip.read_bytes()
                clip.rename(clip.with_suffix(".played"))
                with open(queue / "started.log", "a") as log:
                    log.write(f"{clip.stem} {time.time():.4f}\n")
        piece, pending = pending[:chunk_bytes], pending[chunk_bytes:]
        out.write(piece + bytes(chunk_bytes - len(piece)))
        out.flush()
        next_s += chunk_s
        time.sleep(max(0.0, next_s - time.monotonic()))


def snd(rate_hz: int, path: Path) -> None:
    """Consume PCM no faster than real time; record how much arrived and when it ended."""
    source = sys.stdin.buffer
    total = 0
    started = time.monotonic()
    with open(path, "ab") as out:
        while True:
            data = source.read1(4096) if hasattr(source, "read1") else source.read(4096)
            if not data:
                break
            out.write(data)
            total += len(data)
            ahead_s = total / (2 * rate_hz) - (time.monotonic() - started)
            if ahead_s > 0.2:  # a sound card buffers a little, then plays at its own rate
                time.sleep(ahead_s - 0.2)
    remaining_s = total / (2 * rate_hz) - (time.monotonic() - started)
    time.sleep(max(0.0, remaining_s))
    Path(f"{path}.done").write_text(f"{total} {time.time():.4f}\n")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    mic_parser = sub.add_parser("mic")
    mic_parser.add_argument("--queue", type=Path, required=True)
    snd_parser = sub.add_parser("snd")
    snd_parser.add_argument("--rate", type=int, default=22050)
    snd_parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    try:
        if args.mode == "mic":
            mic(args.queue)
        else:
            snd(args.rate, args.out)
    except (BrokenPipeError, KeyboardInterrupt):
        os._exit(0)


if __name__ == "__main__":
    main()
