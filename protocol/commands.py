"""MQTT command payloads, read strictly: a payload a node does not accept is refused with a
`CommandRefused`, which the node publishes as one `error` event that says why; nothing else
is done."""

from __future__ import annotations

import json
import math

from .clock import now
from .run_events import Error, Stamp

MAX_COMMAND_BYTES = 16 * 1024  # no command needs more; refused before it is decoded


class CommandRefused(Exception):
    """A command whose payload (or target) is not accepted; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def refusal(node_id: str, topic: str, refused: CommandRefused) -> Error:
    """The `error` event that reports a refused command (no run: run id None)."""
    message = f"{topic} refused: {refused.message}"
    return Error(Stamp(None, node_id, now()), code=refused.code, message=message)


def unknown_command(name: str, known: tuple[str, ...]) -> CommandRefused:
    """The refusal of a command this node does not have."""
    return CommandRefused("unknown-command", f"no command {name!r} (known: {', '.join(known)})")


def _shown(payload: str) -> str:
    return repr(payload[:40] + ("…" if len(payload) > 40 else ""))


def switch(payload: str) -> bool:
    """`ON`/`OFF` (also true/false, 1/0, yes/no, any case)."""
    text = payload.strip().lower()
    if text in ("on", "true", "1", "yes"):
        return True
    if text in ("off", "false", "0", "no"):
        return False
    raise CommandRefused("bad-payload", f"expected ON or OFF, got {_shown(payload)}")


def percent(payload: str) -> int:
    """A number 0..100, rounded."""
    try:
        value = float(payload)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= 100):
        raise CommandRefused("bad-payload", f"expected a number 0..100, got {_shown(payload)}")
    return round(value)


def spoken_text(payload: str, max_chars: int) -> str:
    """Plain text, or JSON `{"text": "..."}`; not empty, at most `max_chars`."""
    text: object = payload
    if payload.lstrip().startswith("{"):
        try:
            document = json.loads(payload)
        except ValueError as err:
            raise CommandRefused("invalid-json", f"not valid JSON ({err})") from None
        text = document.get("text") if isinstance(document, dict) else None
        if not isinstance(text, str):
            raise CommandRefused("invalid-json", 'JSON must be {"text": "..."}')
    assert isinstance(text, str)
    text = text.strip()
    if not text:
        raise CommandRefused("no-text", "the text is empty")
    if len(text) > max_chars:
        raise CommandRefused("text-too-long", f"{len(text)} characters (at most {max_chars})")
    return text
