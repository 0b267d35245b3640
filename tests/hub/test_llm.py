"""The LLM path against a test-side server speaking the OpenAI streaming chat-completions API."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.intents.agent import TOO_SLOW, UNREACHABLE, LlmAgent
from hub.llm import LlmSettings
from testing import client
from testing.fakes import fake_home
from testing.hubproc import free_port, running_hub
from testing.llm import FakeModel, text, tool_call
from testing.llm import model_server as serving_model

Model = tuple[FakeModel, str]  # the fake server and its base URL


@pytest.fixture
async def model_server() -> AsyncIterator[Model]:
    async with serving_model() as served:
        yield served


def agent_for(url: str, sent: list[tuple[str, str]], timeout_s: float = 5) -> LlmAgent:
    settings = LlmSettings(url=url, model="test-model", timeout_s=timeout_s)

    def publish(topic: str, payload: str) -> bool:
        sent.append((topic, payload))
        return True

    return LlmAgent(settings, fake_home(), publish)


async def test_streamed_text_comes_out_clause_by_clause(model_server: Model) -> None:
    model, url = model_server
    model.script = [
        text("The kitchen light ", "is off, and the front door ", "is unlocked. ", "Anything else?")
    ]
    agent = agent_for(url, [])
    try:
        clauses = [c async for c in agent.respond("how is the house", "c1")]
    finally:
        await agent.close()
    assert clauses == [  # the first clause early, so speech can start with it
        "The kitchen light is off,",
        "and the front door is unlocked.",
        "Anything else?",
    ]
    request = model.requests[0]
    assert request["stream"] is True and request["model"] == "test-model"
    assert "0x01_light | Kitchen light | Kitchen | light" in request["messages"][0]["content"]
    tool = request["tools"][0]["function"]
    assert "0x01_light" in tool["parameters"]["properties"]["entity_id"]["enum"]


async def test_a_tool_call_is_carried_out_over_mqtt(model_server: Model) -> None:
    model, url = model_server
    model.script = [
        tool_call({"entity_id": "0x01_light", "action": "turn_on"}),
        text("Done, the kitchen light is on."),
    ]
    sent: list[tuple[str, str]] = []
    agent = agent_for(url, sent)
    try:
        said = await agent.answer("it's dark in the kitchen", "c1")
    finally:
        await agent.close()
    assert said.handled and said.text == "Done, the kitchen light is on."
    assert sent == [("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "ON"}))]
    assert [(a.topic, a.payload) for a in said.actions] == sent  # what it did is reported
    follow_up = model.requests[1]["messages"]
    assert follow_up[-2]["tool_calls"][0]["function"]["name"] == "control_device"
    assert follow_up[-1] == {"role": "tool", "tool_call_id": "call_1", "content": '{"ok": true}'}


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"entity_id": "toaster", "action": "turn_on"}, "there is no device"),
        ({"entity_id": "bedroom_lamp", "action": "set_brightness", "value": 500}, "0 to 100"),
        ({"entity_id": "front_door_lock", "action": "turn_on"}, "can't be turned on"),
        ({"entity_id": "bedroom_lamp", "action": "explode"}, "unknown action"),
        ({"entity_id": "bedroom_lamp", "action": "set_brightness"}, "needs a value"),
    ],
)
async def test_bad_tool_calls_are_refused_and_nothing_is_published(
    model_server: Model,
    arguments: dict[str, Any],
    error: str,
) -> None:
    model, url = model_server
    model.script = [tool_call(arguments), text("Sorry, I can't do that.")]
    sent: list[tuple[str, str]] = []
    agent = agent_for(url, sent)
    try:
        said = await agent.answer("do something odd", "c1")
    finally:
        await agent.close()
    assert sent == [] and said.actions == ()
    result = json.loads(model.requests[1]["messages"][-1]["content"])
    assert result["ok"] is False and error in result["error"]
    assert said.handled and said.text == "Sorry, I can't do that."


async def test_short_memory_per_conversation(model_server: Model) -> None:
    model, url = model_server
    model.script = [text("Hello Ann."), text("Your name is Ann."), text("I don't know.")]
    agent = agent_for(url, [])
    try:
        await agent.answer("my name is Ann", "kitchen")
        await agent.answer("what is my name", "kitchen")
        await agent.answer("what is my name", "bedroom")
    finally:
        await agent.close()
    kitchen = [m["content"] for m in model.requests[1]["messages"][1:]]
    assert kitchen == ["my name is Ann", "Hello Ann.", "what is my name"]
    assert [m["content"] for m in model.requests[2]["messages"][1:]] == ["what is my name"]


@pytest.mark.parametrize(("reply", "answer"), [("hang", TOO_SLOW), (500, UNREACHABLE)])
async def test_slow_or_broken_model_gets_an_answer_within_the_timeout(
    model_server: Model,
    reply: Any,
    answer: str,
) -> None:
    model, url = model_server
    model.script = [reply]
    agent = agent_for(url, [], timeout_s=1.0)
    started = time.monotonic()
    try:
        said = await agent.answer("tell me a story", "c1")
    finally:
        await agent.close()
    assert (said.handled, said.text) == (False, answer)
    assert time.monotonic() - started < 2.0


async def test_model_server_down() -> None:
    agent = agent_for(f"http://127.0.0.1:{free_port()}/v1", [], timeout_s=2.0)
    try:
        said = await agent.answer("hello", None)
        assert (said.handled, said.text, said.actions) == (False, UNREACHABLE, ())
    finally:
        await agent.close()


async def test_through_wyoming_handle(model_server: Model, tmp_path: Path) -> None:
    model, url = model_server
    model.script = [text("Why did the light go to school? ", "To get brighter.")]
    args = ["--llm-url", url, "--llm-model", "test-model"]
    with running_hub(args=args, log_path=tmp_path / "hub.log") as (port, _):
        handled, answer = await client.handle("127.0.0.1", port, "Tell me a joke.")
        assert handled and answer == "Why did the light go to school? To get brighter."
        handled, answer = await client.handle("127.0.0.1", port, "What time is it?")
        assert handled and answer.startswith("It's ")  # the grammar first: no model call
    assert len(model.requests) == 1
