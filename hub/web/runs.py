"""`GET /api/runs`: the last runs with each stage's timing; `GET /api/events`: a WebSocket with
the pipeline events as they happen (the stream that feeds MQTT) and every state change."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from protocol.aio import TaskSet, bounded
from protocol.clock import now
from protocol.run_events import PipelineEvent

from ..pipeline.activity import Activity
from ..satellites.session import SatelliteSession
from .context import WebContext, context
from .errors import ApiError

_LOGGER = logging.getLogger(__name__)
QUEUE_MESSAGES = 1000  # a client that falls this far behind is disconnected
SEND_TIMEOUT_S = 10.0
MAX_RUNS = 1000


def _limit(request: web.Request, default: int) -> int:
    raw = request.query.get("limit", str(default))
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, "bad-limit", f"limit must be a whole number, got {raw!r}") from None
    if not 1 <= limit <= MAX_RUNS:
        raise ApiError(400, "bad-limit", f"limit must be 1..{MAX_RUNS}, got {limit}")
    return limit


def _node_filter(ctx: WebContext, request: web.Request) -> str | None:
    node = request.query.get("satellite")
    if node is not None and node not in ctx.satellites.sessions and node != ctx.services.node_id:
        known = ", ".join([ctx.services.node_id, *ctx.satellites.sessions])
        raise ApiError(404, "unknown-satellite", f"no satellite {node!r} (known: {known})")
    return node


async def runs(request: web.Request) -> web.Response:
    """The last runs, newest first; `?satellite=` for one node, `?limit=` how many."""
    ctx = context(request)
    node = _node_filter(ctx, request)
    limit = _limit(request, 20)
    records = ctx.history.all() if node is None else ctx.history.runs(node)
    ordered = sorted(records, key=lambda r: r.events[0].timestamp_ms, reverse=True)[:limit]
    return web.json_response({"runs": [record.as_json() for record in ordered]})


class _Client:
    """One WebSocket client's queue: events go in as they happen, a sender takes them out."""

    def __init__(self, node: str | None) -> None:
        self.node = node
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_MESSAGES)
        self.overflowed = False

    def offer(self, message: dict[str, Any]) -> None:
        if self.node is not None and message.get("node_id") != self.node:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True  # the sender closes the socket at its next message


def state_message(node_id: str, state: str, **extra: Any) -> dict[str, Any]:
    """A state change, in the shape of an event (`type` `state`)."""
    return {
        "type": "state",
        "node_id": node_id,
        "run_id": None,
        "timestamp_ms": now().epoch_ms,
        "state": state,
        **extra,
    }


async def events(request: web.Request) -> web.WebSocketResponse:
    """Live events and state changes, as JSON text messages, until the client goes."""
    ctx = context(request)
    client = _Client(_node_filter(ctx, request))
    socket = web.WebSocketResponse(heartbeat=20.0)
    await socket.prepare(request)

    def on_event(event: PipelineEvent) -> None:
        client.offer(event.as_json())

    def on_satellite(session: SatelliteSession) -> None:
        client.offer(state_message(session.id, session.state.value, connected=session.connected))

    def on_hub(activity: Activity) -> None:
        client.offer(
            state_message(ctx.services.node_id, activity.state.value, busy_runs=activity.busy_runs)
        )

    unsubscribe = ctx.services.events.subscribe(on_event)
    ctx.satellites.add_state_reader(on_satellite)
    ctx.services.activity.add_reader(on_hub)
    async with TaskSet("events websocket") as tasks:
        tasks.spawn(_send(socket, client), "send")
        try:
            async for message in socket:  # the client sends nothing we need; this sees it go
                if message.type is WSMsgType.ERROR:
                    break
        finally:
            unsubscribe()
            ctx.satellites.remove_state_reader(on_satellite)
            ctx.services.activity.remove_reader(on_hub)
    return socket


async def _send(socket: web.WebSocketResponse, client: _Client) -> None:
    while True:
        message = await client.queue.get()
        if client.overflowed:
            _LOGGER.info("Events WebSocket: the client fell behind; disconnected")
            await socket.close(code=1011, message=b"too slow")
            return
        try:
            await bounded(socket.send_str(json.dumps(message)), SEND_TIMEOUT_S)
        except (ConnectionError, TimeoutError):
            await socket.close()
            return
