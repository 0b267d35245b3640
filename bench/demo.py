"""`make demo`: a spoken command in, the action on a light and the spoken answer out.

A private mosquitto starts on a free loopback port; a demo kitchen light announces itself
through Home Assistant MQTT discovery and follows its command topic; the hub starts with
`--mqtt`. Speech made with Piper ("Hey Jarvis." then "Turn on the kitchen light.") goes to the
hub as Home Assistant sends it: wake word, speech-to-text, the conversation agent (which turns
the light on over MQTT) and text-to-speech, whose audio is written to `out/demo-answer.wav`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from bench import client
from bench.audio import piper_speech, silence, write_wav
from bench.broker import Broker
from bench.hubproc import running_hub
from bench.light import LIGHT_TOPIC, DemoLight

OUT_DIR = Path("out")
WAKE = "Hey Jarvis."
COMMAND = "Turn on the kitchen light."


async def scene(port: int, light: DemoLight) -> None:
    host = "127.0.0.1"
    light_task = asyncio.create_task(light.run())
    try:
        await asyncio.wait_for(light.ready.wait(), 10)
        await _wait_for_entities(host, port)
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
            f"{f' at {detection.timestamp} ms of audio' if detection else ''}"
        )

        stt = await client.transcribe(host, port, command_pcm, pace=True)
        print(
            f"2. transcript: {stt.text!r}, {stt.latency_s * 1000:.0f} ms after the end of the"
            " audio (streamed at real time)"
        )

        asked = time.time()
        handled, answer = await client.handle(host, port, stt.text)
        print(f"3. intent:     {'handled' if handled else 'not handled'}: {answer!r}")
        async with asyncio.timeout(5):
            while not light.commands:  # noqa: ASYNC110 - the light task records commands
                await asyncio.sleep(0.01)
        received, payload = light.commands[0]
        print(
            f"4. action:     the kitchen light received {payload} on {LIGHT_TOPIC}/set, "
            f"{(received - asked) * 1000:.1f} ms after the text reached the hub"
        )

        tts = await client.synthesize(host, port, answer)
        answer_path = OUT_DIR / "demo-answer.wav"
        write_wav(answer_path, tts.pcm, tts.rate_hz)
        print(
            f"5. answer:     {tts.seconds:.2f} s of speech at {tts.rate_hz} Hz, first audio after "
            f"{tts.first_audio_s * 1000:.0f} ms; written to {answer_path}"
        )
    finally:
        light_task.cancel()
        await asyncio.gather(light_task, return_exceptions=True)


async def _wait_for_entities(host: str, port: int) -> None:
    """Until the hub has learned the light (it answers a state question about it)."""
    async with asyncio.timeout(15):
        while True:
            handled, _ = await client.handle(host, port, "Is the kitchen light on?")
            if handled:
                return
            await asyncio.sleep(0.1)


def main() -> int:
    OUT_DIR.mkdir(exist_ok=True)
    log_path = OUT_DIR / "demo-hub.log"
    broker = Broker(OUT_DIR)
    try:
        broker.start()
    except (OSError, RuntimeError) as err:
        print(f"demo failed: cannot start mosquitto ({err}); is it installed?", file=sys.stderr)
        return 1
    print(f"mosquitto on {broker.url}; starting the hub (models load and warm once)...")
    started = time.perf_counter()
    try:
        with running_hub(args=["--mqtt", broker.url], log_path=log_path) as (port, _proc):
            print(f"Hub ready on tcp://127.0.0.1:{port} in {time.perf_counter() - started:.1f} s")
            asyncio.run(scene(port, DemoLight(broker.port)))
    except Exception as err:
        print(f"demo failed: {err!r}; hub log in {log_path}", file=sys.stderr)
        return 1
    finally:
        broker.stop()
    print(f"Hub log: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
