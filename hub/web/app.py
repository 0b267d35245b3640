"""The HTTP application: middlewares (JSON errors, the bearer token, a time bound), the routes,
the dashboard's files; `start_web` serves it on `http_port` until the stack closes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware

from protocol.lifecycle import StartupError

from . import converse, health, openapi, runs, satellites, speech
from .auth import bearer_token
from .context import CONTEXT, WebContext, context
from .errors import Handler, json_errors
from .metrics import CONTENT_TYPE

_LOGGER = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
UNBOUNDED = ("/api/events",)  # a WebSocket lasts as long as its client


def time_bound(timeout_s: float) -> Middleware:
    """Every handler but the WebSocket ends within `timeout_s` (504 otherwise)."""

    @web.middleware
    async def bound(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in UNBOUNDED:
            return await handler(request)
        async with asyncio.timeout(timeout_s):
            return await handler(request)

    return bound


async def metrics(request: web.Request) -> web.Response:
    """Prometheus' text format."""
    body = context(request).metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def dashboard(_request: web.Request) -> web.FileResponse:
    """The dashboard's page."""
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/health", health.health),
    ("GET", "/health/ready", health.ready),
    ("POST", "/api/stt", speech.stt),
    ("POST", "/api/tts", speech.tts),
    ("GET", "/api/voices", speech.voices),
    ("GET", "/api/models", speech.models),
    ("POST", "/api/converse", converse.converse),
    ("GET", "/api/satellites", satellites.listing),
    ("POST", "/api/satellites/{satellite_id}/announce", satellites.announce),
    ("POST", "/api/satellites/{satellite_id}/listen", satellites.listen),
    ("GET", "/api/runs", runs.runs),
    ("GET", "/api/events", runs.events),
    ("GET", "/metrics", metrics),
    ("GET", "/api/openapi.json", openapi.openapi),
    ("GET", "/", dashboard),
]
STATIC_ROUTE = "/static/{file}"  # the dashboard's files, from STATIC


def build_app(ctx: WebContext) -> web.Application:
    """Every route, behind the middlewares."""
    http = ctx.settings.http
    app = web.Application(
        client_max_size=http.max_body_kb * 1024,
        middlewares=[json_errors, bearer_token(ctx.token), time_bound(http.timeout_s)],
    )
    app[CONTEXT] = ctx
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
    return app


async def start_web(ctx: WebContext, stack: contextlib.AsyncExitStack, host: str) -> None:
    """Serve on `http_port` until `stack` closes; StartupError when the port is taken."""
    port = ctx.settings.http_port
    runner = web.AppRunner(build_app(ctx), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as err:
        raise StartupError(
            f"cannot serve HTTP on {host}:{port}: {err.strerror} "
            "(set another --http-port, or 0 to turn HTTP off)"
        ) from err
    guarded = "token required" if ctx.token else "no token: anyone on the network may use it"
    _LOGGER.info("HTTP on port %d: dashboard at /, API at /api (%s)", port, guarded)
