"""The bearer token that guards the API: `http.token` (best from `HOMEVOICE_HTTP_TOKEN` or
`HOMEVOICE_HTTP_TOKEN_FILE`) or the file `http.token_file`; never on the command line, where
`ps` would show it."""

from __future__ import annotations

import hmac
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware

from .errors import Handler, json_error

OPEN_PATHS = ("/health",)  # liveness, for health checks that carry no token
# The dashboard's page and files hold no data: the page asks for the token and sends it.
PAGE_PATHS = ("/",)
PAGE_PREFIX = "/static/"

MIN_TOKEN_CHARS = 16


class TokenError(ValueError):
    """The token file cannot be read, or the token is too short to be worth having."""


def load_token(token: str, token_file: str) -> str | None:
    """The configured token (`token`, else the file's), or None when the API is open;
    TokenError saying what is wrong."""
    token = token.strip()
    source = "http.token"
    if not token and token_file:
        path = Path(token_file).expanduser()
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise TokenError(f"http.token_file {path}: {err.strerror or err}") from err
        source = f"http.token_file {path}"
    if not token:
        return None
    if len(token) < MIN_TOKEN_CHARS:
        raise TokenError(f"{source}: the token is shorter than {MIN_TOKEN_CHARS} characters")
    return token


def presented_token(request: web.Request) -> str:
    """`Authorization: Bearer …`, or `?token=` for a browser's WebSocket (it cannot send one)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.path == "/api/events":
        return request.query.get("token", "")
    return ""


def bearer_token(token: str | None) -> Middleware:
    """Refuse every request but the open paths without the token (401)."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if (
            token is None
            or path in OPEN_PATHS
            or path in PAGE_PATHS
            or path.startswith(PAGE_PREFIX)
        ):
            return await handler(request)
        if hmac.compare_digest(presented_token(request).encode(), token.encode()):
            return await handler(request)
        response = json_error(401, "unauthorized", "send the hub's token: Authorization: Bearer …")
        response.headers["WWW-Authenticate"] = 'Bearer realm="homevoice"'
        return response

    return guard
