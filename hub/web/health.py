"""`GET /health` (the hub is alive) and `GET /health/ready` (it can do its job: 503 and the
reasons when it cannot)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from protocol.server import TcpUri

from .context import WebContext, context


async def health(request: web.Request) -> web.Response:
    """Alive: uptime, version, state and models."""
    ctx = context(request)
    uptime_s = round(time.monotonic() - ctx.started_monotonic, 1)
    return web.json_response({"status": "ok", "uptime_s": uptime_s, **ctx.hub.state()})


def readiness(ctx: WebContext) -> dict[str, dict[str, Any]]:
    """Each check: ok and what it found."""
    hub, settings = ctx.hub, ctx.settings
    checks: dict[str, dict[str, Any]] = {
        "stt": _check(hub.stt is not None, hub.stt.name if hub.stt else "turned off"),
        "tts": _check(hub.tts is not None, ", ".join(hub.tts.voices) if hub.tts else "turned off"),
        "wake": _check(True, ", ".join(hub.wake.models) if hub.wake else "no wake words"),
    }
    if not settings.mqtt.enabled:
        checks["mqtt"] = _check(True, "not configured")
    else:
        up = ctx.mqtt is not None and ctx.mqtt.connected
        broker = ctx.mqtt.broker if ctx.mqtt is not None else settings.mqtt.url
        checks["mqtt"] = _check(up, f"{'connected to' if up else 'not connected to'} {broker}")
    if not settings.zeroconf:
        checks["zeroconf"] = _check(True, "off")
    else:
        address = ctx.zeroconf.address if ctx.zeroconf is not None else None
        checks["zeroconf"] = _check(
            address is not None, f"announced at {address}" if address else "not announced"
        )
    listed = {f"{u.host}:{u.port}" for u in map(TcpUri.parse, settings.satellites.uris)}
    sessions = ctx.satellites.sessions.values()
    down = sorted(
        s.id
        for s in sessions
        if s.link is not None and s.link.address in listed and not s.connected
    )
    seen = {s.link.address for s in sessions if s.link is not None}
    never = sorted(listed - seen)
    driven = sum(s.connected for s in sessions)
    missing = down + never
    detail = f"{driven} connected" + (f"; not connected: {', '.join(missing)}" if missing else "")
    checks["satellites"] = _check(not missing, detail)
    return checks


async def ready(request: web.Request) -> web.Response:
    """200 when every check passes, else 503 with the reasons."""
    checks = readiness(context(request))
    reasons = [f"{name}: {c['detail']}" for name, c in checks.items() if not c["ok"]]
    body = {"ready": not reasons, "checks": checks, "reasons": reasons}
    return web.json_response(body, status=200 if not reasons else 503)


def _check(ok: bool, detail: str) -> dict[str, Any]:
    return {"ok": ok, "detail": detail}
