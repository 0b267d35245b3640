"""The LLM second: free-form text to an answer, with tools that act on the registry's entities.

Tool arguments are checked against the registry and through the same action functions as the
grammar path before anything is published. Text streams out clause by clause. When the model
is off, down or slow, a short spoken-style answer comes back within the timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clauses import ClauseBuffer
from hub.llm import LlmClient, LlmError, LlmSettings, Turn
from protocol.aio import TaskSet

from .actions import ACTIONS, NEEDS_VALUE, ActionRefused, Publish, describe
from .registry import EntityRegistry

_LOGGER = logging.getLogger(__name__)

NOT_CONFIGURED = "Sorry, I can only do simple commands: no language model is set up."
UNREACHABLE = "Sorry, I can't reach the language model right now."
TOO_SLOW = "Sorry, the language model is taking too long to answer."
FALLBACKS = frozenset({NOT_CONFIGURED, UNREACHABLE, TOO_SLOW})  # said only when it said nothing
MAX_ROUNDS = 3

SYSTEM_PROMPT = """You are the voice assistant of a home. Answer in one or two short sentences \
that sound natural when spoken: no lists, no markdown, no emoji. To change a device, call the \
control_device tool with an entity_id from the list below; never make up ids, and say so when \
a device is not in the list. The current time is {now}.
The home's devices (entity_id | name | area | kind | state):
{entities}"""


@dataclass(frozen=True)
class AgentAnswer:
    """What the model said, whether it managed, and the device commands it sent."""

    handled: bool
    text: str
    actions: tuple[Publish, ...] = ()


def control_tool(registry: EntityRegistry) -> dict[str, Any]:
    """The one tool the model gets, limited to the registry's entities."""
    return {
        "type": "function",
        "function": {
            "name": "control_device",
            "description": "Change a device in the home.",
            "parameters": {
                "type": "object",
                "properties": {
                    "entity_id": {"type": "string", "enum": sorted(registry.entities)},
                    "action": {"type": "string", "enum": sorted(ACTIONS)},
                    "value": {
                        "type": ["number", "string"],
                        "description": "percent for set_brightness, degrees for "
                        "set_temperature, a colour name for set_color",
                    },
                },
                "required": ["entity_id", "action"],
            },
        },
    }


class LlmAgent:
    """Conversations with the model, remembered for a few turns per conversation id."""

    def __init__(
        self,
        settings: LlmSettings,
        registry: EntityRegistry,
        publish: Callable[[str, str], bool],
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.settings = settings
        self._registry = registry
        self._publish = publish
        self._now = now
        self._client = LlmClient(settings)
        self._history: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    async def close(self) -> None:
        """Release the HTTP session."""
        await self._client.close()

    async def answer(
        self,
        text: str,
        conversation_id: str | None,
        on_clause: Callable[[str], Awaitable[None]] | None = None,
        on_action: Callable[[Publish], Awaitable[None]] | None = None,
    ) -> AgentAnswer:
        """The whole answer (handled False, and why, when the model failed) and the device
        commands its tool calls sent. `on_clause` gets each clause of what the model says as
        soon as it is complete (not the apologies said in its place), `on_action` each device
        command as soon as it was sent."""
        actions: list[Publish] = []
        pieces: list[str] = []
        async for piece in self._items(text, conversation_id, actions):
            if isinstance(piece, Publish):
                if on_action is not None:
                    await on_action(piece)
                continue
            if on_clause is not None and (pieces or piece not in FALLBACKS):
                await on_clause(piece)
            pieces.append(piece)
        joined = " ".join(pieces).strip()
        handled = joined not in FALLBACKS
        return AgentAnswer(handled, joined, tuple(actions))

    async def respond(
        self, text: str, conversation_id: str | None, actions: list[Publish] | None = None
    ) -> AsyncIterator[str]:
        """The answer clause by clause, as soon as each is complete; never hangs. The device
        commands the model's tool calls send are added to `actions`."""
        async for item in self._items(text, conversation_id, actions):
            if isinstance(item, str):
                yield item

    async def _items(
        self, text: str, conversation_id: str | None, actions: list[Publish] | None
    ) -> AsyncIterator[str | Publish]:
        """The clauses, and each device command when it was sent, in the order they came."""
        if not self.settings.enabled:
            yield NOT_CONFIGURED
            return
        clauses: asyncio.Queue[str | Publish | None] = asyncio.Queue()
        tasks = TaskSet("llm")
        sent = actions if actions is not None else []
        tasks.spawn(self._converse(text, conversation_id or "", clauses, sent), "conversation")
        try:
            while (clause := await clauses.get()) is not None:
                yield clause
        finally:
            await tasks.aclose()

    async def _converse(
        self,
        text: str,
        conversation_id: str,
        out: asyncio.Queue[str | Publish | None],
        actions: list[Publish],
    ) -> None:
        spoken = ClauseBuffer()
        said_anything = False

        def emit(pieces: list[str]) -> None:
            nonlocal said_anything
            for piece in pieces:
                said_anything = True
                out.put_nowait(piece)

        history = self._history.setdefault(conversation_id, [])
        self._history.move_to_end(conversation_id)
        while len(self._history) > self.settings.conversations:
            self._history.popitem(last=False)
        messages = [self._system(), *history, {"role": "user", "content": text}]
        answer = ""
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                for _ in range(MAX_ROUNDS):
                    turn_now = Turn()
                    async for delta in self._client.stream(
                        messages, [control_tool(self._registry)], turn_now
                    ):
                        emit(spoken.add(delta))
                    answer += turn_now.text
                    if not turn_now.tool_calls:
                        break
                    messages.append(_assistant_message(turn_now))
                    sent_before = len(actions)
                    messages += [
                        self._run_tool(call.id, call.name, call.arguments, actions)
                        for call in turn_now.tool_calls
                    ]
                    for message in actions[sent_before:]:
                        out.put_nowait(message)
            emit(spoken.finish())
            keep = 2 * self.settings.history_turns
            history[:] = (
                [
                    *history,
                    {"role": "user", "content": text},
                    {"role": "assistant", "content": answer.strip()},
                ][-keep:]
                if keep
                else []
            )
        except TimeoutError:
            _LOGGER.warning("LLM: no complete answer within %g s", self.settings.timeout_s)
            emit(spoken.finish() if said_anything else [TOO_SLOW])
        except LlmError as err:
            _LOGGER.warning("LLM: %s", err)
            emit([UNREACHABLE] if not said_anything else spoken.finish())
        finally:
            out.put_nowait(None)

    def _system(self) -> dict[str, Any]:
        rows = "\n".join(
            f"{e.key} | {e.name} | {e.area or '-'} | {e.platform} | {describe(e)}"
            for e in self._registry.entities.values()
        )
        now = self._now().strftime("%A %d %B %Y, %H:%M")
        return {
            "role": "system",
            "content": SYSTEM_PROMPT.format(now=now, entities=rows or "(none)"),
        }

    def _run_tool(
        self, call_id: str, name: str, arguments: str, actions: list[Publish]
    ) -> dict[str, Any]:
        """Check a tool call and carry it out; the result tells the model what happened."""
        result: dict[str, Any]
        try:
            args = json.loads(arguments or "{}")
            if name != "control_device" or not isinstance(args, dict):
                raise ActionRefused(f"unknown tool {name!r}")
            entity = self._registry.entities.get(str(args.get("entity_id")))
            action = ACTIONS.get(str(args.get("action")))
            if entity is None:
                raise ActionRefused(f"there is no device {args.get('entity_id')!r}")
            if action is None:
                raise ActionRefused(f"unknown action {args.get('action')!r}")
            if args.get("action") in NEEDS_VALUE and args.get("value") is None:
                raise ActionRefused(f"{args['action']} needs a value")
            message = action(entity, args.get("value"))
            if not self._publish(message.topic, message.payload):
                raise ActionRefused("the MQTT broker is not connected")
            actions.append(message)
            _LOGGER.info(
                "LLM tool: %s %s -> %s %s",
                args["action"],
                entity.key,
                message.topic,
                message.payload,
            )
            result = {"ok": True}
        except (ValueError, TypeError, ActionRefused) as err:
            _LOGGER.info("LLM tool call refused: %s(%s): %s", name, arguments[:200], err)
            result = {"ok": False, "error": str(err)}
        return {"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)}


def _assistant_message(turn_now: Turn) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": turn_now.text or None,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in turn_now.tool_calls
        ],
    }
