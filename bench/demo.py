"""`make demo`: the hub on loopback, one spoken command in, the transcript and a spoken answer out.

Speech is made with Piper at start ("hey jarvis" + a command); the hub detects the wake word,
transcribes the command, is asked to handle it, and speaks the answer, which is written to
`out/demo-answer.wav`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from bench import client
from bench.audio import piper_speech, silence, write_wav
from bench.hubproc import running_hub

OUT_DIR = Path("out")
WAKE = "Hey Jarvis."
COMMAND = "Turn on the kitchen light."


async def scene(port: int) -> None:
    host = "127.0.0.1"
    info = await client.describe(host, port)
    print(
        f"Hub offers: asr={[m.name for p in info.asr for m in p.models]} "
        f"tts={[v.name for p in info.tts for v in p.voices]} "
        f"wake={[m.name for p in info.wake for m in p.models]}"
    )

    wake_pcm = silence(0.5) + piper_speech(WAKE) + silence(0.5)
    command_pcm = silence(0.3) + piper_speech(COMMAND) + silence(0.5)
    write_wav(OUT_DIR / "demo-command.wav", wake_pcm + command_pcm, 16000)

    detection = await client.detect(host, port, wake_pcm, names=["hey_jarvis"])
    print(
        f"1. wake word:  {detection.name if detection else 'not detected'}"
        f"{f' at {detection.timestamp} ms' if detection else ''}"
    )

    stt = await client.transcribe(host, port, command_pcm, pace=True)
    print(
        f"2. transcript: {stt.text!r} ({stt.latency_s * 1000:.0f} ms after the end of the audio,"
        f" audio streamed at real time)"
    )

    handled, answer = await client.handle(host, port, stt.text)
    print(f"3. handle:     {'handled' if handled else 'not handled'}: {answer!r}")

    tts = await client.synthesize(host, port, answer)
    answer_path = OUT_DIR / "demo-answer.wav"
    write_wav(answer_path, tts.pcm, tts.rate_hz)
    print(
        f"4. answer:     {tts.seconds:.2f} s of audio at {tts.rate_hz} Hz, first audio after "
        f"{tts.first_audio_s * 1000:.0f} ms, all of it after {tts.total_s * 1000:.0f} ms"
    )
    print(f"   written to {answer_path}")


def main() -> int:
    OUT_DIR.mkdir(exist_ok=True)
    log_path = OUT_DIR / "demo-hub.log"
    print("Starting the hub (models load and warm once)...")
    started = time.perf_counter()
    try:
        with running_hub(log_path=log_path) as (port, _proc):
            print(f"Hub ready on tcp://127.0.0.1:{port} in {time.perf_counter() - started:.1f} s")
            asyncio.run(scene(port))
    except Exception as err:
        print(f"demo failed: {err}; hub log in {log_path}", file=sys.stderr)
        return 1
    print(f"Hub log: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
