"""Speech over HTTP: `POST /api/stt` (WAV or raw PCM → text), `POST /api/tts` (text → WAV,
streamed as it is rendered), `GET /api/voices` and `GET /api/models`. Each request is one run
of the pipeline on the hub's node, so it shows in the events, the history and the metrics."""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from protocol.audio import PcmConverter
from protocol.run_events import SttEnd

from ..pipeline.request import RunRequest, Step
from ..pipeline.run import Run
from .context import context
from .errors import ApiError, run_failed
from .peers import RequestPeer, WavStreamPeer
from .requests import audio_body, json_object, text_field

_LOGGER = logging.getLogger(__name__)


async def stt(request: web.Request) -> web.Response:
    """Transcribe the body: `{text, language, duration_s, timings_ms, run_id}`."""
    ctx = context(request)
    engine = ctx.services.stt
    if engine is None:
        raise ApiError(503, "stt-disabled", "speech-to-text is turned off on this hub")
    started = time.perf_counter()
    body = await request.read()
    # up to http.max_body_kb of audio parsed and resampled: off the event loop
    pcm16 = await asyncio.to_thread(_to_stt_audio, body, dict(request.query))
    if not pcm16:
        raise ApiError(400, "no-audio", "the body holds no audio")
    engine.check_length(len(pcm16))
    peer = RequestPeer(ctx.services.node_id, [pcm16])
    language = request.query.get("language")
    run = Run(
        ctx.services, peer, RunRequest(Step.STT, Step.STT, "http", language=language, vad=False)
    )
    result = await run.execute()
    if result.error is not None:
        raise run_failed(result.error)
    end = next(e for e in peer.events if isinstance(e, SttEnd))
    return web.json_response(
        {
            "text": end.text,
            "language": end.language,
            "duration_s": end.audio_s,
            "timings_ms": {
                "decode": end.decode_ms,
                "total": round((time.perf_counter() - started) * 1000, 1),
            },
            "run_id": run.id,
        }
    )


def _to_stt_audio(body: bytes, query: dict[str, str]) -> bytes:
    """The body's audio as 16 kHz mono 16-bit PCM (ApiError when it is not audio)."""
    pcm, fmt = audio_body(body, query)
    converter = PcmConverter(fmt)
    return converter.convert(pcm) + converter.flush()


async def tts(request: web.Request) -> web.StreamResponse:
    """`{text, voice?}` → `audio/wav`, the first clause's audio on its way while the rest
    renders (the WAV's sizes are left open, as streaming WAV writers do)."""
    ctx = context(request)
    engine = ctx.services.tts
    if engine is None:
        raise ApiError(503, "tts-disabled", "text-to-speech is turned off on this hub")
    body = await json_object(request)
    text = text_field(body, "text")
    voice = text_field(body, "voice", required=False)
    assert text is not None
    engine.check_length(len(text))
    engine.voice(voice)  # an unknown voice is refused before anything is sent
    peer = WavStreamPeer(ctx.services.node_id, request)
    run = Run(ctx.services, peer, RunRequest(Step.TTS, Step.TTS, "http", text=text, voice=voice))
    result = await run.execute()
    if result.error is not None and not peer.started:
        raise run_failed(result.error)
    if result.error is not None:
        _LOGGER.warning("HTTP tts: %s after the audio began; the WAV is cut short", result.error)
    await peer.response.write_eof()
    return peer.response


async def voices(request: web.Request) -> web.Response:
    """The voices this hub speaks with."""
    engine = context(request).services.tts
    if engine is None:
        return web.json_response({"voices": []})
    default = engine.voice(None).name
    return web.json_response(
        {
            "voices": [
                {
                    "name": voice.name,
                    "language": voice.language,
                    "description": voice.description,
                    "rate_hz": voice.format.rate_hz,
                    "default": voice.name == default,
                }
                for voice in engine.voices.values()
            ]
        }
    )


async def models(request: web.Request) -> web.Response:
    """The loaded models, where they run and how long they took to load."""
    hub = context(request).hub
    stt = hub.stt
    tts = hub.tts
    return web.json_response(
        {
            "stt": None
            if stt is None
            else {
                "name": stt.name,
                "device": stt.device,
                "compute_type": stt.compute_type,
                "language": stt.settings.language,
            },
            "tts": None
            if tts is None
            else {"voices": list(tts.voices), "providers": tts.providers},
            "wake": [] if hub.wake is None else list(hub.wake.models),
            "vad": "silero",
            "load_s": {name: round(s, 2) for name, s in hub.load_s.items()},
        }
    )
