"""What to publish to carry out an intent on an entity, and how to say its state (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .registry import Entity

SWITCHABLE = frozenset({"light", "switch", "fan", "scene", "siren", "humidifier"})
COVERS = frozenset({"cover", "valve"})


class ActionRefused(Exception):
    """The action cannot be done on this entity; the message is the spoken answer."""


@dataclass(frozen=True)
class Publish:
    """One MQTT message that carries out (part of) an action."""

    topic: str
    payload: str


def _command_topic(entity: Entity, key: str = "command_topic") -> str:
    topic = entity.option(key)
    if not topic:
        raise ActionRefused(f"The {entity.name} can't be controlled.")
    return str(topic)


def turn(entity: Entity, on: bool) -> Publish:
    """Switch a light, switch, fan, scene … on or off."""
    if entity.platform not in SWITCHABLE:
        raise ActionRefused(f"The {entity.name} can't be turned {'on' if on else 'off'}.")
    if entity.platform == "scene" and not on:
        raise ActionRefused(f"The {entity.name} is a scene; it can only be turned on.")
    if entity.platform == "light" and entity.option("schema") == "json":
        return Publish(_command_topic(entity), json.dumps({"state": "ON" if on else "OFF"}))
    if entity.option("schema") == "template":
        raise ActionRefused(f"The {entity.name} uses a command template I can't fill in.")
    payload = entity.option("payload_on", "ON") if on else entity.option("payload_off", "OFF")
    return Publish(_command_topic(entity), str(payload))


def set_brightness(entity: Entity, percent: float) -> Publish:
    """Set a light's brightness, 0 to 100 %, on the light's own scale."""
    if entity.platform != "light":
        raise ActionRefused(f"The {entity.name} can't be dimmed.")
    if not 0 <= percent <= 100:
        raise ActionRefused("Brightness goes from 0 to 100 percent.")
    scale = entity.option("brightness_scale", 255)
    level = round(percent / 100 * scale) if isinstance(scale, int | float) else round(percent)
    if entity.option("schema") == "json":
        if not entity.option("brightness"):
            raise ActionRefused(f"The {entity.name} can't be dimmed.")
        state = "ON" if level > 0 else "OFF"
        return Publish(_command_topic(entity), json.dumps({"state": state, "brightness": level}))
    topic = entity.option("brightness_command_topic")
    if not topic:
        raise ActionRefused(f"The {entity.name} can't be dimmed.")
    return Publish(str(topic), str(level))


BRIGHTNESS_STEP = 25  # percent, for "dim the light" and "brighten the light"


def brightness_percent(entity: Entity) -> float | None:
    """A light's latest brightness in percent when it is on and says so; None otherwise."""
    state = entity.state
    if _word(entity, state.get("state")) != "on" or state.get("brightness") is None:
        return None
    scale = entity.option("brightness_scale", 255)
    try:
        return min(100.0, max(0.0, float(state["brightness"]) / float(scale) * 100))
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def stepped_brightness(entity: Entity, up: bool) -> float:
    """A step brighter or dimmer than the light is now; from off or unknown, dim is 25 %
    and bright is 100 %."""
    now = brightness_percent(entity)
    if now is None:
        return 100.0 if up else float(BRIGHTNESS_STEP)
    stepped = now + BRIGHTNESS_STEP if up else now - BRIGHTNESS_STEP
    return float(min(100, max(1, round(stepped))))


COLORS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0),
    "orange": (255, 165, 0), "purple": (128, 0, 128), "pink": (255, 105, 180),
    "white": (255, 255, 255), "cyan": (0, 255, 255), "magenta": (255, 0, 255),
}  # fmt: skip


def _xy(rgb: tuple[int, int, int]) -> tuple[float, float]:
    """sRGB to CIE 1931 xy (the colour space zigbee lights take)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return ((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92

    r, g, b = (linear(c) for c in rgb)
    x = r * 0.4124 + g * 0.3576 + b * 0.1805
    y = r * 0.2126 + g * 0.7152 + b * 0.0722
    z = r * 0.0193 + g * 0.1192 + b * 0.9505
    total = x + y + z
    return (round(x / total, 4), round(y / total, 4)) if total else (0.3127, 0.329)


def _hs(rgb: tuple[int, int, int]) -> tuple[float, float]:
    r, g, b = (c / 255 for c in rgb)
    high, low = max(r, g, b), min(r, g, b)
    delta = high - low
    if delta == 0:
        hue = 0.0
    elif high == r:
        hue = 60 * (((g - b) / delta) % 6)
    elif high == g:
        hue = 60 * ((b - r) / delta + 2)
    else:
        hue = 60 * ((r - g) / delta + 4)
    return round(hue, 1), round(delta / high * 100 if high else 0.0, 1)


def set_color(entity: Entity, color: str) -> Publish:
    """Turn a light on in a named colour, in the colour mode the light supports."""
    if entity.platform != "light" or color not in COLORS:
        raise ActionRefused(f"The {entity.name} can't change colour.")
    rgb = COLORS[color]
    if entity.option("schema") == "json":
        modes = set(entity.option("supported_color_modes") or [])
        if modes & {"rgb", "rgbw", "rgbww"}:
            value: dict[str, float] = dict(zip("rgb", rgb, strict=True))
        elif "xy" in modes:
            value = dict(zip("xy", _xy(rgb), strict=True))
        elif "hs" in modes:
            value = dict(zip("hs", _hs(rgb), strict=True))
        else:
            raise ActionRefused(f"The {entity.name} can't change colour.")
        return Publish(_command_topic(entity), json.dumps({"state": "ON", "color": value}))
    topic = entity.option("rgb_command_topic")
    if not topic:
        raise ActionRefused(f"The {entity.name} can't change colour.")
    return Publish(str(topic), ",".join(map(str, rgb)))


def open_close(entity: Entity, opening: bool) -> Publish:
    """Open or close a cover or valve."""
    if entity.platform not in COVERS:
        raise ActionRefused(f"The {entity.name} can't be {'opened' if opening else 'closed'}.")
    if entity.option("command_topic"):
        key, default = ("payload_open", "OPEN") if opening else ("payload_close", "CLOSE")
        return Publish(_command_topic(entity), str(entity.option(key, default)))
    position = (
        entity.option("position_open", 100) if opening else entity.option("position_closed", 0)
    )
    return Publish(_command_topic(entity, "set_position_topic"), str(position))


def lock(entity: Entity, locking: bool) -> Publish:
    """Lock or unlock a lock."""
    if entity.platform != "lock":
        raise ActionRefused(f"The {entity.name} isn't a lock.")
    key, default = ("payload_lock", "LOCK") if locking else ("payload_unlock", "UNLOCK")
    return Publish(_command_topic(entity), str(entity.option(key, default)))


def set_temperature(entity: Entity, degrees: float) -> Publish:
    """Set a climate device's target temperature, within its limits."""
    if entity.platform != "climate":
        raise ActionRefused(f"The {entity.name} has no temperature to set.")
    low, high = entity.option("min_temp", 7), entity.option("max_temp", 35)
    if not low <= degrees <= high:
        raise ActionRefused(f"The {entity.name} goes from {low:g} to {high:g} degrees.")
    return Publish(_command_topic(entity, "temperature_command_topic"), f"{degrees:g}")


# Action names shared by the grammar and the LLM's tool.
ACTIONS: dict[str, Callable[[Entity, Any], Publish]] = {
    "turn_on": lambda e, _: turn(e, True),
    "turn_off": lambda e, _: turn(e, False),
    "set_brightness": lambda e, v: set_brightness(e, float(v)),
    "set_color": lambda e, v: set_color(e, str(v).lower()),
    "open": lambda e, _: open_close(e, True),
    "close": lambda e, _: open_close(e, False),
    "lock": lambda e, _: lock(e, True),
    "unlock": lambda e, _: lock(e, False),
    "set_temperature": lambda e, v: set_temperature(e, float(v)),
}
NEEDS_VALUE = frozenset({"set_brightness", "set_color", "set_temperature"})


def _word(entity: Entity, raw: Any) -> str | None:
    """The state as a word people say: on, off, open, closed, locked, unlocked …"""
    if raw is None:
        return None
    text = str(raw)
    pairs = {
        "on": (entity.option("state_on", entity.option("payload_on", "ON"))),
        "off": (entity.option("state_off", entity.option("payload_off", "OFF"))),
        "open": entity.option("state_open", "open"),
        "closed": entity.option("state_closed", "closed"),
        "locked": entity.option("state_locked", "LOCKED"),
        "unlocked": entity.option("state_unlocked", "UNLOCKED"),
        "opening": entity.option("state_opening", "opening"),
        "closing": entity.option("state_closing", "closing"),
    }
    for word, value in pairs.items():
        if text == str(value) or text.lower() == word:
            return word
    return text.lower()


def describe(entity: Entity) -> str:
    """A spoken sentence with the entity's latest state."""
    state = entity.state
    if entity.platform == "climate":
        parts = []
        if state.get("temperature") is not None:
            parts.append(f"is set to {state['temperature']} degrees")
        if state.get("current_temperature") is not None:
            parts.append(f"it is {state['current_temperature']} degrees now")
        if state.get("mode") is not None:
            parts.append(f"the mode is {state['mode']}")
        if parts:
            return f"The {entity.name} {', '.join(parts)}."
    elif entity.platform == "sensor" and state.get("state") is not None:
        unit = entity.option("unit_of_measurement")
        return f"The {entity.name} is {state['state']}{f' {unit}' if unit else ''}."
    elif state.get("state") is not None:
        answer = f"The {entity.name} is {_word(entity, state['state'])}"
        brightness = state.get("brightness")
        if (
            entity.platform == "light"
            and brightness is not None
            and _word(entity, state["state"]) == "on"
        ):
            scale = entity.option("brightness_scale", 255)
            try:
                answer += f", at {round(float(brightness) / float(scale) * 100)} percent"
            except (TypeError, ValueError, ZeroDivisionError):
                pass
        return answer + "."
    return f"I don't know the state of the {entity.name} yet."
