"""A test-side LLM server speaking the OpenAI streaming chat-completions API, from a script."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from testing.hubproc import free_port

# Per request: a list of SSE deltas (a "stall" among them: the stream stops there, open), "hang"
# (the request is read, no response ever starts), or an int HTTP status.
Script = list[Any]
STALL = "stall"


class FakeModel:
    """Answers each chat-completions request with the next scripted reply, streamed."""

    def __init__(self, script: Script, delta_delay_s: float = 0.01) -> None:
        self.script = list(script)
        self.delta_delay_s = delta_delay_s
        self.requests: list[dict[str, Any]] = []
        self.last_delta_s: list[float] = []  # per reply, when its last delta went out (monotonic)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        reply = self.script.pop(0)
        if reply == "hang":
            await asyncio.sleep(3600)
        if isinstance(reply, int):
            return web.Response(status=reply, text="model exploded")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for index, delta in enumerate(reply):
            if delta == STALL:
                await asyncio.sleep(3600)
            if index:
                await asyncio.sleep(self.delta_delay_s)
            event = {"choices": [{"index": 0, "delta": delta}]}
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
        self.last_delta_s.append(time.monotonic())
        await asyncio.sleep(self.delta_delay_s)
        await response.write(b"data: [DONE]\n\n")
        return response


@contextlib.asynccontextmanager
async def model_server(
    script: Script | None = None, delta_delay_s: float = 0.01
) -> AsyncIterator[tuple[FakeModel, str]]:
    """The fake model on a free loopback port, and its base URL (`http://127.0.0.1:N/v1`);
    it sends a delta every `delta_delay_s`."""
    model = FakeModel(script or [], delta_delay_s)
    app = web.Application()
    app.router.add_post("/v1/chat/completions", model.completions)
    runner = web.AppRunner(app, shutdown_timeout=0.5)  # the "hang" reply never ends
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield model, f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


def text(*pieces: str) -> list[dict[str, Any]]:
    """A reply of plain text, streamed in these pieces."""
    return [{"content": piece} for piece in pieces]


def tool_call(arguments: dict[str, Any], call_id: str = "call_1") -> list[dict[str, Any]]:
    """A reply calling the control_device tool, its arguments streamed in two pieces."""
    raw = json.dumps(arguments)
    half = len(raw) // 2
    return [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "control_device", "arguments": raw[:half]},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": raw[half:]}}]},
    ]
