"""`POST /api/converse`: text through the pipeline as if it had been said, on the hub or on a
satellite (whose timers and conversation it then is), optionally spoken there."""

from __future__ import annotations

from aiohttp import web

from ..pipeline.peer import PeerGone
from ..pipeline.request import RunRequest, RunResult, Step
from ..pipeline.run import Run
from ..satellites.session import ListenRefused
from .context import context
from .errors import ApiError, run_failed
from .peers import RequestPeer
from .requests import json_object, text_field
from .satellites import session_of


async def converse(request: web.Request) -> web.Response:
    """`{text, satellite?, speak?, conversation_id?}` → the answer and the actions taken."""
    ctx = context(request)
    body = await json_object(request)
    text = text_field(body, "text")
    assert text is not None
    satellite = text_field(body, "satellite", required=False)
    conversation = text_field(body, "conversation_id", required=False)
    speak = body.get("speak", False)
    if not isinstance(speak, bool):
        raise ApiError(400, "bad-speak", "'speak' must be true or false")
    if len(text) > 1000:
        raise ApiError(413, "text-too-long", "a command is at most 1000 characters")
    result: RunResult
    if satellite is not None:
        session = session_of(ctx, satellite)
        try:
            result = await session.converse(text, speak, ctx.settings.http.timeout_s)
        except (ListenRefused, PeerGone) as err:
            raise ApiError(409, err.code, err.message) from None
        except TimeoutError:
            raise ApiError(409, "satellite-busy", f"satellite {satellite} stayed busy") from None
    elif speak:
        raise ApiError(400, "bad-speak", "'speak' needs a 'satellite' to speak on")
    else:
        peer = RequestPeer(ctx.services.node_id)
        run_request = RunRequest(
            Step.INTENT, Step.INTENT, "converse", text=text, conversation_id=conversation
        )
        result = await Run(ctx.services, peer, run_request).execute()
    if result.error is not None:
        raise run_failed(result.error)
    answer = result.answer
    if answer is None:
        raise ApiError(409, "cut-short", "the run was cut short by a wake-up on the satellite")
    return web.json_response(
        {
            "run_id": result.run_id,
            "satellite": satellite,
            "text": text,
            "handled": answer.handled,
            "intent": answer.intent,
            "answer": answer.text,
            "actions": [{"topic": p.topic, "payload": p.payload} for p in answer.publishes],
            "spoken": result.audio_s > 0,
        }
    )
