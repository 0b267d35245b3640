"""`make demo`: the whole standalone scene on one machine, from a spoken command to the answer.

A private mosquitto starts on a free loopback port; a demo kitchen light announces itself
through Home Assistant MQTT discovery and follows its command topic. The real satellite starts
with stand-ins for its mic and speaker, then the real hub, which drives it. The mic plays speech
made with Piper ("Hey Jarvis." then "Turn on the kitchen light.") at real-time pace: the
satellite wakes and streams to the hub, which transcribes, turns the light on over MQTT and
speaks the answer back to the satellite. The run's timeline comes from the hub's pipeline events
on MQTT; the answer the satellite played is written to `out/demo-answer.wav`.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from demo.scene import (
    COMMAND,
    WAKE,
    DemoError,
    SpokenClip,
    Watcher,
    event_detail,
    print_timeline,
    spoken_clip,
    wall_ms,
    watching,
)
from protocol.aio import bounded
from protocol.run_events import Error, IntentEnd, PipelineEvent, RunEnd, SttEnd, from_json
from testing import client
from testing.audio import write_wav
from testing.broker import Broker
from testing.hubproc import running_hub
from testing.light import LIGHT_TOPIC, DemoLight
from testing.satrig import Rig, satellite_rig

OUT_DIR = Path("out")
HUB_LOG = OUT_DIR / "demo-hub.log"
SATELLITE_DIR = OUT_DIR / "demo-satellite"
NODE = "kitchen"  # the hub's id for the satellite named "Kitchen"
STATE_TOPIC = f"homevoice/{NODE}/state"
EVENT_TOPIC = f"homevoice/{NODE}/event"
SND_RATE_HZ = 22050


async def scene(hub_port: int, rig: Rig, broker: Broker, clip: SpokenClip) -> None:
    """The light, the run and its timeline; DemoError when a step fails or stalls."""
    host = "127.0.0.1"
    light = DemoLight(broker.port)
    light_task = asyncio.create_task(light.run())
    linking = time.perf_counter()
    try:
        async with watching(broker.port, [STATE_TOPIC, EVENT_TOPIC]) as mqtt:
            info = await client.describe(host, hub_port)
            print(
                f"Hub offers: asr={[m.name for p in info.asr for m in p.models]} "
                f"tts={[v.name for p in info.tts for v in p.voices]} "
                f"wake={[m.name for p in info.wake for m in p.models]}"
            )
            idle = "the hub did not link to the satellite (state idle)"
            await mqtt.wait_for(STATE_TOPIC, lambda state: state.get("state") == "idle", 30, idle)
            await _bounded(light.ready.wait(), 10, "the demo light did not connect to mosquitto")
            await _wait_for_entities(host, hub_port)
            print(
                f"The hub drives satellite {NODE!r} (state idle) and knows the kitchen light "
                f"({time.perf_counter() - linking:.1f} s after the hub was ready)"
            )
            await _run(rig, mqtt, light, clip)
    finally:
        light_task.cancel()
        await asyncio.gather(light_task, return_exceptions=True)


async def _run(rig: Rig, mqtt: Watcher, light: DemoLight, clip: SpokenClip) -> None:
    after = len(mqtt.messages)
    first_snd: list[float] = []
    snd_watch = asyncio.create_task(_first_snd_audio(rig, first_snd))
    try:
        name = rig.play(clip.pcm)
        started_s = await asyncio.to_thread(rig.started_at, name, 10)
        print(f"The satellite's mic is playing the spoken command ({len(clip.pcm) / 32000:.1f} s)")
        no_wake = "the hub started no run (the satellite did not wake)"
        start = await mqtt.wait_for(
            EVENT_TOPIC, lambda e: e.get("type") == "run-start", 20, no_wake, after
        )
        run_id = start.get("run_id")
        ended = ("run-end", run_id)
        await mqtt.wait_for(
            EVENT_TOPIC,
            lambda e: (e.get("type"), e.get("run_id")) == ended,
            60,
            f"run {run_id} did not end",
            after,
        )
        events = [e for e in _events(mqtt, after) if e.run_id == run_id]
        end = next(e for e in events if isinstance(e, RunEnd))
        played = None
        if end.outcome == "ok":
            played = await _bounded(_snd_done(rig), 20, "the satellite's snd never finished")
    except DemoError:
        for event in _events(mqtt, after):
            print(f"  seen: {event.stage.wire:<16} {event_detail(event)}")
        raise
    finally:
        snd_watch.cancel()
        await asyncio.gather(snd_watch, return_exceptions=True)

    speech_end_ms = wall_ms(started_s + clip.command_end_s)
    marks = [(wall_ms(started_s + clip.wake_end_s), "(wake word ends)", repr(WAKE))]
    marks += [(wall_ms(at_s), "light", f"received {p}") for at_s, p in light.commands]
    if first_snd:
        marks.append((wall_ms(first_snd[0]), "snd", "first answer audio arrives"))
    if played is not None:
        marks.append((wall_ms(played[1]), "snd", "the answer has been played"))
    print(f"\nRun {run_id} on satellite {NODE!r} (ms from run-start, from the true end of speech):")
    print_timeline(events, speech_end_ms, marks)
    _print_summary(events, end, speech_end_ms)
    errors = [e for e in events if isinstance(e, Error)]
    if end.outcome != "ok" or errors:
        why = f"{errors[0].code}: {errors[0].message}" if errors else end.outcome
        raise DemoError(f"the run failed: {why}")
    if not light.commands:
        raise DemoError(f"the kitchen light received nothing on {LIGHT_TOPIC}/set")

    answer = rig.snd_out.read_bytes()
    answer_path = OUT_DIR / "demo-answer.wav"
    write_wav(answer_path, answer, SND_RATE_HZ)
    said = next((e.answer for e in events if isinstance(e, IntentEnd)), None)
    print(
        f"\nAnswer: {said!r}: {len(answer) / (2 * SND_RATE_HZ):.2f} s played "
        f"by the satellite, written to {answer_path}"
    )


def _events(mqtt: Watcher, after: int) -> list[PipelineEvent]:
    """The typed pipeline events the hub published since message `after`."""
    return [from_json(e) for e in mqtt.json_on(EVENT_TOPIC, after)]


def _print_summary(events: list[PipelineEvent], end: RunEnd, speech_end_ms: float) -> None:
    stt_end = next((e for e in events if isinstance(e, SttEnd)), None)
    if stt_end is not None and stt_end.speech_end_ms is not None:
        late_ms = stt_end.speech_end_ms - speech_end_ms
        print(f"The hub put the end of speech {late_ms:+.0f} ms from the true end")
    print(
        "Hub timings from its end of speech (ms): "
        + ", ".join(f"{stage} {ms:.0f}" for stage, ms in end.timings_ms.items())
    )


async def _first_snd_audio(rig: Rig, first: list[float]) -> None:
    """Note when the snd command's output first grows (it writes through a small buffer)."""
    while rig.snd_bytes() == 0:  # noqa: ASYNC110 - another process writes the file
        await asyncio.sleep(0.005)
    first.append(time.time())


async def _snd_done(rig: Rig) -> tuple[int, float]:
    while (done := rig.snd_done()) is None:  # noqa: ASYNC110 - another process writes it
        await asyncio.sleep(0.05)
    return done


async def _bounded(awaitable: Any, timeout_s: float, failure: str) -> Any:
    try:
        return await bounded(awaitable, timeout_s)
    except TimeoutError:
        raise DemoError(f"{failure} within {timeout_s:g} s") from None


async def _wait_for_entities(host: str, port: int) -> None:
    """Until the hub has learned the light (it answers a state question about it)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        handled, _ = await client.handle(host, port, "Is the kitchen light on?")
        if handled:
            return
        await asyncio.sleep(0.1)
    raise DemoError("the hub did not learn the kitchen light from MQTT discovery within 15 s")


def _the_scene(broker: Broker, clip: SpokenClip) -> None:
    """Satellite, then the hub driving it, then the scene; raises on any failure."""
    shutil.rmtree(SATELLITE_DIR, ignore_errors=True)  # a fresh mic queue and snd output
    print("Starting the satellite 'Kitchen' (wake word hey_jarvis)...")
    started = time.perf_counter()
    with satellite_rig(
        SATELLITE_DIR, ["--wake-word", "hey_jarvis", "--mqtt", broker.url], name="Kitchen"
    ) as rig:
        ready_s = time.perf_counter() - started
        print(f"Satellite ready on tcp://127.0.0.1:{rig.port} in {ready_s:.1f} s")
        print("Starting the hub (models load and warm once)...")
        started = time.perf_counter()
        args = ["--mqtt", broker.url, "--log-level", "debug", "--wake-word", "hey_jarvis"]
        args += ["--satellite", f"tcp://127.0.0.1:{rig.port}"]
        with running_hub(args=args, log_path=HUB_LOG) as (port, hub):
            print(f"Hub ready on tcp://127.0.0.1:{port} in {time.perf_counter() - started:.1f} s")
            try:
                asyncio.run(scene(port, rig, broker, clip))
            except Exception:
                _note_exits(hub, rig.proc)
                raise


def _note_exits(hub: subprocess.Popen[bytes], satellite: subprocess.Popen[bytes]) -> None:
    for name, proc in (("hub", hub), ("satellite", satellite)):
        if proc.poll() is not None:
            print(f"the {name} exited with code {proc.returncode}", file=sys.stderr)


def main() -> int:
    OUT_DIR.mkdir(exist_ok=True)
    logs = f"hub log {HUB_LOG}, satellite log {SATELLITE_DIR / 'satellite.log'}"
    clip = spoken_clip()
    write_wav(OUT_DIR / "demo-command.wav", clip.pcm, 16000)
    print(
        f"Spoken command {WAKE!r} + {COMMAND!r} made with Piper "
        f"(speech ends at {clip.command_end_s:.2f} s): {OUT_DIR / 'demo-command.wav'}"
    )
    broker = Broker(OUT_DIR)
    try:
        broker.start()
    except (OSError, RuntimeError) as err:
        print(f"demo failed: cannot start mosquitto ({err}); is it installed?", file=sys.stderr)
        return 1
    print(f"mosquitto on {broker.url} (log {OUT_DIR / 'mosquitto.log'})")
    try:
        _the_scene(broker, clip)
    except DemoError as err:
        print(f"demo failed: {err}; {logs}", file=sys.stderr)
        return 1
    except Exception as err:
        print(f"demo failed: {err!r}; {logs}", file=sys.stderr)
        return 1
    finally:
        broker.stop()
    print(f"Logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
