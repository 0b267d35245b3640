"""The conversation step, written once: the local grammar first, then the LLM when it is on."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ..engines.errors import EngineError
from ..intents.actions import Publish
from ..intents.handler import Plan
from .services import Services

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What the hub made of one text: whether it handled it, what to say, what it did."""

    handled: bool
    text: str
    intent: str | None  # the grammar's intent, "llm", or None when nothing matched
    publishes: tuple[Publish, ...] = field(default_factory=tuple)


async def converse(
    services: Services,
    text: str,
    conversation_id: str | None,
    device_id: str | None,
    on_clause: Callable[[str], Awaitable[None]] | None = None,
    on_action: Callable[[Publish], Awaitable[None]] | None = None,
    area: str | None = None,
    plan: Plan | None = None,
    alternatives: Callable[[], Awaitable[list[str]]] | None = None,
    doubted: Sequence[str] = (),
    first_reading: str = "",
) -> Answer:
    """Understand `text` and act on it; never raises for what people say.

    `device_id` is the satellite that heard it (its timers are its own); `area` the room it
    was said in (what the text leaves out, "turn on the light", is looked for there);
    `conversation_id` lets the LLM remember the last turns. An LLM answer streams: each clause
    goes to `on_clause` as soon as it is complete, each device command it sends to `on_action`
    (a grammar answer comes whole, in `Answer`, its commands in `Answer.publishes`).
    `plan` is the grammar's plan of `text` made already (while the end of speech was
    confirmed): it is carried out as it is. `alternatives`: Whisper's next best transcripts of
    the audio `text` was heard from, asked for when the grammar makes nothing of `text`;
    `doubted`: `text` with a word the recognizer was unsure of swapped (`SttResult.doubted`);
    `first_reading`: another transcript of the same audio (`SttResult.first_reading`).
    """
    started = time.perf_counter()
    if plan is None:
        plan = services.intents.understand(text, device_id, area, doubted, first_reading)
        if not plan.handled and alternatives is not None:
            plan = await _from_alternatives(services, text, alternatives, device_id, area) or plan
    outcome = services.intents.carry_out(plan)
    answer = Answer(outcome.handled, outcome.answer, outcome.intent, tuple(outcome.publishes))
    if not outcome.handled and services.agent.settings.enabled:
        conversation = conversation_id or device_id
        said = await services.agent.answer(text, conversation, on_clause, on_action)
        answer = Answer(said.handled, said.text, "llm", said.actions)
    _LOGGER.info(
        "%r%s -> %s (%s, %d published) in %.1f ms",
        text,
        f" (heard as {outcome.heard_as!r})" if outcome.heard_as else "",
        answer.intent or "no intent",
        "handled" if answer.handled else "not handled",
        len(answer.publishes),
        (time.perf_counter() - started) * 1000,
    )
    return answer


async def _from_alternatives(
    services: Services,
    text: str,
    alternatives: Callable[[], Awaitable[list[str]]],
    device_id: str | None,
    area: str | None,
) -> Plan | None:
    """The plan of what else Whisper heard in the audio (`stt.alternatives`); None when it
    fails (the transcript's own answer stands: nothing is lost but the second guess)."""
    started = time.perf_counter()
    try:
        heard = await alternatives()
    except EngineError as err:
        _LOGGER.warning("Whisper's alternatives to %r failed: %s", text, err)
        return None
    plan = services.intents.understand_alternatives(text, heard, device_id, area)
    _LOGGER.debug(
        "Alternatives to %r in %.0f ms: %r -> %s",
        text,
        (time.perf_counter() - started) * 1000,
        heard,
        plan.heard_as if plan is not None else "nothing",
    )
    return plan
