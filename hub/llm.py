"""A streaming client for OpenAI-compatible chat completions (Ollama, llama.cpp server, vLLM)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import aiohttp

from protocol.settings import check, secret

_LOGGER = logging.getLogger(__name__)

MAX_TOOL_CALLS = 16


@dataclass(frozen=True)
class LlmSettings:
    """Where the model is; an empty `url` turns the LLM off."""

    url: str = ""  # e.g. http://localhost:11434/v1 (Ollama) or http://host:8080/v1
    model: str = ""
    api_key: str = secret()
    timeout_s: float = 10.0
    temperature: float = 0.3
    max_tokens: int = 300
    history_turns: int = 6
    conversations: int = 50

    def __post_init__(self) -> None:
        if self.url:
            parsed = urlparse(self.url)
            check(
                parsed.scheme in ("http", "https") and bool(parsed.hostname),
                "llm.url",
                self.url,
                "must be an http(s):// URL of an OpenAI-compatible API, or empty",
            )
            check(bool(self.model), "llm.model", self.model, "is needed when llm.url is set")
        check(0.5 <= self.timeout_s <= 120, "llm.timeout_s", self.timeout_s, "must be 0.5..120")
        check(0 <= self.temperature <= 2, "llm.temperature", self.temperature, "must be 0..2")
        check(16 <= self.max_tokens <= 8192, "llm.max_tokens", self.max_tokens, "must be 16..8192")
        check(
            0 <= self.history_turns <= 50, "llm.history_turns", self.history_turns, "must be 0..50"
        )
        check(
            1 <= self.conversations <= 10_000,
            "llm.conversations",
            self.conversations,
            "must be 1..10000",
        )

    @property
    def enabled(self) -> bool:
        """True when a model is configured."""
        return bool(self.url)


class LlmError(Exception):
    """The model could not be reached or answered nonsense."""


@dataclass
class ToolCall:
    """A function call the model asked for; `arguments` is the raw JSON text."""

    id: str
    name: str = ""
    arguments: str = ""


@dataclass
class Turn:
    """What the model produced in one response: streamed text and tool calls."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)


class LlmClient:
    """One aiohttp session to the model server; every request is bounded by the settings."""

    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _endpoint(self) -> str:
        return self.settings.url.rstrip("/") + "/chat/completions"

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], turn: Turn
    ) -> AsyncIterator[str]:
        """Yield text deltas as they arrive; tool calls accumulate in `turn`."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": messages,
            "stream": True,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        if tools:
            body["tools"] = tools
        try:
            async with self._session.post(self._endpoint(), json=body, headers=headers) as reply:
                if reply.status != 200:
                    detail = (await reply.text())[:200]
                    raise LlmError(f"the model server answered {reply.status}: {detail}")
                async for line in reply.content:
                    delta = _delta(line)
                    if delta is None:
                        continue
                    _merge_tool_calls(turn, delta.get("tool_calls") or [])
                    text = delta.get("content")
                    if isinstance(text, str) and text:
                        turn.text += text
                        yield text
        except aiohttp.ClientError as err:
            raise LlmError(f"cannot reach the model server: {err}") from err


def _delta(line: bytes) -> dict[str, Any] | None:
    """The `choices[0].delta` of one server-sent event line, if it has one."""
    text = line.decode("utf-8", errors="replace").strip()
    if not text.startswith("data:"):
        return None
    data = text[5:].strip()
    if data == "[DONE]":
        return None
    try:
        event = json.loads(data)
        delta = event["choices"][0].get("delta") or {}
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
        raise LlmError(f"the model server sent a malformed event: {data[:120]!r}") from err
    return delta if isinstance(delta, dict) else None


def _merge_tool_calls(turn: Turn, pieces: list[Any]) -> None:
    """Tool calls stream in fragments keyed by index; join them."""
    for piece in pieces:
        if not isinstance(piece, dict):
            continue
        index = piece.get("index", len(turn.tool_calls))
        if not isinstance(index, int) or not 0 <= index < MAX_TOOL_CALLS:
            raise LlmError(f"the model server sent a bad tool call index: {index!r}")
        while len(turn.tool_calls) <= index:
            turn.tool_calls.append(ToolCall(id=f"call_{len(turn.tool_calls)}"))
        call = turn.tool_calls[index]
        call.id = piece.get("id") or call.id
        function = piece.get("function") or {}
        call.name += function.get("name") or ""
        call.arguments += function.get("arguments") or ""
