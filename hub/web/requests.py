"""Reading request bodies: JSON objects and WAV or raw PCM audio, with clear refusals."""

from __future__ import annotations

import io
import json
import wave
from typing import Any

from aiohttp import web

from protocol.audio import PcmFormat
from protocol.errors import AudioFormatError

from .errors import ApiError


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; 400 when it is not one."""
    raw = await request.read()
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, "bad-json", f"the body is not JSON: {err}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad-json", "the body must be a JSON object")
    return body


def text_field(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    """A string field; 400 when it is missing (and required) or not a string."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(400, f"bad-{name}", f"{name!r} must be a non-empty string")
    return value


def audio_body(raw: bytes, query: dict[str, str]) -> tuple[bytes, PcmFormat]:
    """PCM and its format from a WAV file, or raw PCM described by `rate`, `width`, `channels`."""
    if raw[:4] == b"RIFF":
        return _wav(raw)
    missing = [k for k in ("rate", "width", "channels") if k not in query]
    if missing:
        raise ApiError(
            400,
            "not-audio",
            "send a WAV file, or raw PCM with the query parameters rate, width and channels "
            f"(missing: {', '.join(missing)})",
        )
    try:
        fmt = PcmFormat(int(query["rate"]), int(query["width"]), int(query["channels"]))
    except ValueError:
        raise ApiError(400, "not-audio", "rate, width and channels must be whole numbers") from None
    except AudioFormatError as err:
        raise ApiError(400, "unsupported-audio", err.message) from None
    if len(raw) % fmt.frame_bytes:
        raise ApiError(
            400, "not-audio", f"{len(raw)} bytes is not a whole number of {fmt.frame_bytes}-byte "
            "frames",
        )  # fmt: skip
    return raw, fmt


def _wav(raw: bytes) -> tuple[bytes, PcmFormat]:
    try:
        with wave.open(io.BytesIO(raw), "rb") as reader:
            fmt = PcmFormat(reader.getframerate(), reader.getsampwidth(), reader.getnchannels())
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as err:
        raise ApiError(400, "not-a-wav", f"the body is not a PCM WAV file ({err})") from None
    except AudioFormatError as err:
        raise ApiError(400, "unsupported-audio", err.message) from None
    return frames[: len(frames) - len(frames) % fmt.frame_bytes], fmt
