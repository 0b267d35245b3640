"""Every HTTP error is JSON `{code, message}`; this middleware is the one place that says so."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from protocol.clock import now
from protocol.run_events import Error, Stamp

from ..errors import PipelineError
from .context import context

_LOGGER = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# A pipeline error's code → the HTTP status that says it best (else 400).
STATUS_OF_CODE = {
    "service-disabled": 503,
    "stt-disabled": 503,
    "tts-disabled": 503,
    "wake-disabled": 503,
    "audio-too-long": 413,
    "text-too-long": 413,
    "peer-gone": 503,
    "stt-failed": 500,
    "tts-failed": 500,
    "internal-error": 500,
}


class ApiError(Exception):
    """A request the API refuses: its status, a stable code and a message saying why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def run_failed(err: PipelineError) -> ApiError:
    """A run's error as the HTTP answer (the run has already put it on the event stream)."""
    return ApiError(STATUS_OF_CODE.get(err.code, 400), err.code, err.message)


def json_error(status: int, code: str, message: str) -> web.Response:
    """The JSON error body every failure gets."""
    return web.json_response({"code": code, "message": message}, status=status)


def _publish_refusal(request: web.Request, err: PipelineError) -> None:
    services = context(request).services
    stamp = Stamp(None, services.node_id, now())
    services.events.publish(Error(stamp, code=err.code, message=err.message))


def _slug(reason: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-") or "error"


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn whatever a handler raises into `{code, message}` with its status."""
    try:
        return await handler(request)
    except ApiError as err:
        return json_error(err.status, err.code, err.message)
    except PipelineError as err:  # a request the pipeline refused: on the stream, as a run's are
        _publish_refusal(request, err)
        return json_error(STATUS_OF_CODE.get(err.code, 400), err.code, err.message)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        message = err.text if err.text and not err.text.startswith(f"{err.status}:") else ""
        return json_error(err.status, _slug(err.reason), message or err.reason)
    except TimeoutError:
        return json_error(504, "timeout", "the request took too long")
    except asyncio.CancelledError:
        raise
    except Exception:
        _LOGGER.exception("HTTP %s %s failed", request.method, request.path)
        return json_error(500, "internal-error", "internal error; see the hub log")
