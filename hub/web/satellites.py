"""The satellites the hub drives: `GET /api/satellites`, `POST /api/satellites/{id|all}/announce`
and `POST /api/satellites/{id}/listen` (a run without the wake word)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..pipeline.events import RunHistory
from ..satellites.device import MAX_ANNOUNCE_CHARS
from ..satellites.session import ListenRefused, SatelliteSession
from .context import WebContext, context
from .errors import ApiError
from .requests import json_object


def describe(session: SatelliteSession, history: RunHistory) -> dict[str, Any]:
    """One satellite: who, where, its state and its recent runs."""
    return {
        "id": session.id,
        "name": session.name,
        "area": session.area,
        "address": session.link.address if session.link else None,
        "state": session.state.value,
        "connected": session.connected,
        "runs": [record.as_json() for record in history.runs(session.id)],
    }


def session_of(ctx: WebContext, satellite_id: str) -> SatelliteSession:
    """The satellite called `satellite_id`; 404 naming the known ones."""
    session = ctx.satellites.sessions.get(satellite_id)
    if session is None:
        known = ", ".join(ctx.satellites.sessions) or "none yet"
        raise ApiError(404, "unknown-satellite", f"no satellite {satellite_id!r} (known: {known})")
    return session


async def listing(request: web.Request) -> web.Response:
    """Every satellite the hub drives or has driven."""
    ctx = context(request)
    sessions = ctx.satellites.sessions.values()
    return web.json_response({"satellites": [describe(s, ctx.history) for s in sessions]})


async def announce(request: web.Request) -> web.Response:
    """Queue text to be spoken on one satellite, or on `all`: 202 with where it was queued."""
    ctx = context(request)
    target = request.match_info["satellite_id"]
    if target != "all":
        session_of(ctx, target)
    text = await _announce_text(request)
    queued = ctx.satellites.announce(target, text)
    if not queued:
        raise ApiError(503, "queue-full", "the announcement queue is full; try again shortly")
    return web.json_response({"queued_on": queued}, status=202)


async def listen(request: web.Request) -> web.Response:
    """Start a run without the wake word: 202, or 409 when the satellite cannot be told to."""
    session = session_of(context(request), request.match_info["satellite_id"])
    try:
        how = await session.listen()
    except ListenRefused as refused:
        raise ApiError(409, refused.code, refused.message) from None
    return web.json_response({"satellite": session.id, "listening": how}, status=202)


async def _announce_text(request: web.Request) -> str:
    if request.content_type == "application/json":
        text = (await json_object(request)).get("text")
    else:
        text = await request.text()
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "no-text", 'send the text as the body or as JSON {"text": "..."}')
    if len(text) > MAX_ANNOUNCE_CHARS:
        raise ApiError(
            413, "text-too-long", f"{len(text)} characters; an announcement is at most "
            f"{MAX_ANNOUNCE_CHARS}",
        )  # fmt: skip
    return text
