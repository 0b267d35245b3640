"""Both front doors drive the one pipeline: the same sentences through Home Assistant's `handle`
and through a satellite's run give the same answers and the same MQTT actions. Real loopback
sockets on both sides; fake STT and TTS; the real intents on the fake home."""

from __future__ import annotations

import pytest

from protocol.aio import bounded
from protocol.run_events import Error, IntentEnd, PipelineEvent
from testing import client
from testing.doors import COMMAND, home_assistant_door, satellite_door
from testing.fakes import FakeStt, FakeTts, Published, fake_services
from testing.simsat import SimSatellite

SENTENCES = [
    "Turn on the kitchen light.",
    "Close the garage door.",
    "Set the kitchen light to 40 percent.",
    "Lock the front door.",
    "Is the front door locked?",
    "Turn off the lamp in the bedroom.",
    "Turn on the moon.",  # nothing matches: no action, the same refusal
    "What is the meaning of life?",  # no LLM here: the same answer on both
]


async def test_the_same_sentences_through_both_doors_do_the_same() -> None:
    stt = FakeStt()
    published = Published()
    services = fake_services(stt=stt, tts=FakeTts(), published=published)
    answers: list[IntentEnd] = []

    def hear(event: PipelineEvent) -> None:
        if isinstance(event, IntentEnd):
            answers.append(event)

    services.events.subscribe(hear)

    through_ha: list[tuple[bool, str, list[tuple[str, str]]]] = []
    async with home_assistant_door(services) as port:
        for sentence in SENTENCES:
            mark = len(published.messages)
            handled, answer = await client.handle("127.0.0.1", port, sentence)
            through_ha.append((handled, answer, published.messages[mark:]))
    ha_nodes = {e.node_id for e in answers}

    through_satellite: list[tuple[bool, str, list[tuple[str, str]]]] = []
    satellite = SimSatellite(1, ("hey_jarvis", "Hey Jarvis"))
    await satellite.start()
    try:
        async with satellite_door(services, satellite):
            for sentence in SENTENCES:
                stt.text = sentence
                mark, said = len(published.messages), len(answers)
                heard = await satellite.speak(COMMAND)
                await bounded(heard.done.wait(), 10)
                assert heard.error is None, heard.error
                assert heard.transcript == sentence and heard.answer_bytes > 0
                assert len(answers) == said + 1
                end = answers[-1]
                through_satellite.append((end.handled, end.answer, published.messages[mark:]))
    finally:
        await satellite.close()

    assert ha_nodes == {"hub"}
    assert {e.node_id for e in answers[len(SENTENCES) :]} == {"bench_1"}
    assert through_satellite == through_ha
    acted = [actions for _handled, _answer, actions in through_ha if actions]
    assert len(acted) == 5  # the commands acted, the question and the refusals did not
    assert through_ha[-2][:2] == through_ha[-1][:2] == (False, "Sorry, I didn't understand that.")


async def test_a_request_refused_at_the_door_is_one_error_on_the_stream() -> None:
    services = fake_services(stt=FakeStt(), tts=FakeTts())
    seen: list[PipelineEvent] = []
    services.events.subscribe(seen.append)
    async with home_assistant_door(services) as port:
        with pytest.raises(client.ServerError, match="unknown-voice"):
            await client.synthesize("127.0.0.1", port, "Hello.", voice="nobody")
        result = await client.synthesize("127.0.0.1", port, "Hello there.")
    errors = [e for e in seen if isinstance(e, Error)]
    assert [(e.code, e.node_id, e.run_id) for e in errors] == [("unknown-voice", "hub", None)]
    assert result.pcm  # the next request is served as usual
    runs = {e.run_id for e in seen if e.run_id is not None}
    assert len(runs) == 1 and [e.stage.wire for e in seen if e.run_id] == [
        "run-start", "tts-start", "tts-first-audio", "tts-end", "run-end",
    ]  # fmt: skip
