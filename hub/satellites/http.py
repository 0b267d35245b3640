"""HTTP for the satellites: `GET /api/satellites` and `POST /api/satellites/{id}/announce`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..pipeline.events import RunHistory
from .controller import SatelliteController
from .device import MAX_ANNOUNCE_CHARS
from .session import SatelliteSession


def add_satellite_routes(
    app: web.Application, satellites: SatelliteController, history: RunHistory
) -> None:
    """The driven satellites, their recent runs, and announcements."""

    async def listing(_request: web.Request) -> web.Response:
        return web.json_response(
            {"satellites": [_describe(s, history) for s in satellites.sessions.values()]}
        )

    async def announce(request: web.Request) -> web.Response:
        target = request.match_info["satellite_id"]
        if target != "all" and target not in satellites.sessions:
            known = ", ".join(satellites.sessions) or "none yet"
            raise web.HTTPNotFound(text=f"no satellite {target!r} (known: {known})")
        text = await _announce_text(request)
        queued = satellites.announce(target, text)
        if not queued:
            raise web.HTTPServiceUnavailable(text="announcement queue full (or empty text)")
        return web.json_response({"queued_on": queued}, status=202)

    app.router.add_get("/api/satellites", listing)
    app.router.add_post("/api/satellites/{satellite_id}/announce", announce)


async def _announce_text(request: web.Request) -> str:
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as err:
            raise web.HTTPBadRequest(text=f"body is not JSON: {err}") from err
        text = body.get("text") if isinstance(body, dict) else None
    else:
        text = await request.text()
    if not isinstance(text, str) or not text.strip():
        raise web.HTTPBadRequest(text='send the text as the body or as JSON {"text": "..."}')
    if len(text) > MAX_ANNOUNCE_CHARS:
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_ANNOUNCE_CHARS, actual_size=len(text), text="announcement too long"
        )
    return text


def _describe(session: SatelliteSession, history: RunHistory) -> dict[str, Any]:
    return {
        "id": session.id,
        "name": session.name,
        "area": session.area,
        "address": session.link.address if session.link else None,
        "state": session.state.value,
        "connected": session.connected,
        "runs": [record.as_json() for record in history.runs(session.id)],
    }
