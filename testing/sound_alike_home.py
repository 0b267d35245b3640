"""A home whose names sound alike: what a misheard command must not confuse.

Study light / Steady lamp, Kitchen light / Kitchen lamp, Bedroom fan / Bathroom fan, Garage door /
Garden light, Front door / Back door, and a name Whisper spells its own way (Ecobee thermostat).
"""

from __future__ import annotations

import json

from hub.intents.handler import IntentHandler
from hub.intents.registry import EntityRegistry


def _light(key: str, name: str, area: str, dimmable: bool = False) -> dict[str, object]:
    document: dict[str, object] = {
        "name": None, "unique_id": key, "command_topic": f"home/{key}/set",
        "state_topic": f"home/{key}/state",
        "device": {"identifiers": [key], "name": name, "suggested_area": area},
    }  # fmt: skip
    if dimmable:
        document["brightness_command_topic"] = f"home/{key}/brightness/set"
        document["brightness_scale"] = 100
    return document


DEVICES: dict[str, dict[str, object]] = {
    "homeassistant/light/study_light/config": _light("study_light", "Study light", "Study", True),
    "homeassistant/light/steady_lamp/config": _light("steady_lamp", "Steady lamp", "Living room"),
    "homeassistant/light/kitchen_light/config": _light("kitchen_light", "Kitchen light", "Kitchen"),
    "homeassistant/light/kitchen_lamp/config": _light("kitchen_lamp", "Kitchen lamp", "Kitchen"),
    "homeassistant/light/garden_light/config": _light("garden_light", "Garden light", "Garden"),
    "homeassistant/fan/bedroom_fan/config": {
        "name": "Bedroom fan", "unique_id": "bedroom_fan", "command_topic": "home/bedroom_fan/set",
        "device": {"identifiers": ["bedroom_fan"], "name": "Bedroom fan",
                   "suggested_area": "Bedroom"},
    },
    "homeassistant/fan/bathroom_fan/config": {
        "name": "Bathroom fan", "unique_id": "bathroom_fan",
        "command_topic": "home/bathroom_fan/set",
        "device": {"identifiers": ["bathroom_fan"], "name": "Bathroom fan",
                   "suggested_area": "Bathroom"},
    },
    "homeassistant/cover/garage_door/config": {
        "name": "Garage door", "unique_id": "garage_door", "command_topic": "home/garage_door/set",
        "payload_open": "OPEN", "payload_close": "CLOSE",
        "device": {"identifiers": ["garage_door"], "name": "Garage door",
                   "suggested_area": "Garage"},
    },
    "homeassistant/lock/front_door/config": {
        "name": "Front door", "unique_id": "front_door", "command_topic": "home/front_door/set",
    },
    "homeassistant/lock/back_door/config": {
        "name": "Back door", "unique_id": "back_door", "command_topic": "home/back_door/set",
    },
    "homeassistant/climate/ecobee/config": {
        "name": None, "unique_id": "ecobee",
        "temperature_command_topic": "home/ecobee/target/set", "min_temp": 7, "max_temp": 30,
        "device": {"identifiers": ["ecobee"], "name": "Ecobee thermostat",
                   "suggested_area": "Hallway"},
    },
    "homeassistant/switch/coffee_maker/config": {
        "name": None, "unique_id": "coffee_maker", "command_topic": "home/coffee_maker/set",
        "device": {"identifiers": ["coffee_maker"], "name": "Coffee maker",
                   "suggested_area": "Kitchen"},
    },
}  # fmt: skip

ON, OFF = "ON", "OFF"
ACT, ASK, NOTHING = "act", "ask", "nothing"

# A misheard or near-miss sentence → what must happen: the exact publishes, a question back
# (nothing published), or nothing published (a refusal or "didn't understand").
NEAR_MISSES: list[tuple[str, str, list[tuple[str, str]]]] = [
    # misheard, and only one name sounds like it: acted on
    ("turn on the kitchen lamb", ACT, [("home/kitchen_lamp/set", ON)]),
    ("turn off the bedrom fan", ACT, [("home/bedroom_fan/set", OFF)]),
    ("open the garbage door", ACT, [("home/garage_door/set", "OPEN")]),
    ("set the echo be thermostat to 21 degrees", ACT, [("home/ecobee/target/set", "21")]),
    # "degrees" is the grammar's word ("degree[s]"), so only the name needs the correction
    ("set the acrobee thermostat to 21 degrees", ACT, [("home/ecobee/target/set", "21")]),
    ("lock the black door", ACT, [("home/back_door/set", "LOCK")]),
    ("switch on the coffee makers", ACT, [("home/coffee_maker/set", ON)]),
    ("Turn on the study light, please. The weather is next.", ACT, [("home/study_light/set", ON)]),
    ("and now the news turn off the garden light", ACT, [("home/garden_light/set", OFF)]),
    # the command ends at a comma, the TV's talk goes on after it (its "room" and "light"
    # name nothing here; "kitchen" would)
    ("Switch the bedroom fan off, coming up after the break", ACT, [("home/bedroom_fan/set", OFF)]),
    (
        "Turn on the garden light. The whole room is a light show.",
        ACT,
        [("home/garden_light/set", ON)],
    ),
    ("Turn on the light, in the kitchen tonight", NOTHING, []),
    ("Switch the bedroom fan off, front walls, coming up", NOTHING, []),  # the Front door?
    # a polar word may become its own other form ("lock" → "locked"), never another one
    ("walk the front door", NOTHING, []),
    ("turn of the garden light", NOTHING, []),
    # two names sound as much like it: asked back, nothing moves
    ("turn on the steady light", ASK, []),
    ("turn on the study lamp", ASK, []),
    ("turn on the fan", ASK, []),
    # a name this home does not have, or half of one: nothing moves (or a question)
    ("turn on the toaster", NOTHING, []),
    ("turn on the", NOTHING, []),
    ("turn on the kit", NOTHING, []),
    ("lock the door", NOTHING, []),
    ("don't turn on the kitchen light", NOTHING, []),
    ("open the kitchen light", NOTHING, []),
    ("turn on the garage door", NOTHING, []),
]


def discovery_messages() -> list[tuple[str, str]]:
    """(topic, payload) of every device's discovery document."""
    return [(topic, json.dumps(document)) for topic, document in DEVICES.items()]


def sound_alike_home() -> EntityRegistry:
    """The registry of this home, as the hub learns it from discovery."""
    registry = EntityRegistry()
    for topic, payload in discovery_messages():
        registry.apply_config(topic, payload)
    return registry


def sound_alike_handler() -> tuple[IntentHandler, list[tuple[str, str]]]:
    """An intent handler on this home and the (topic, payload) it publishes, in order."""
    sent: list[tuple[str, str]] = []

    def send(topic: str, payload: str) -> bool:
        sent.append((topic, payload))
        return True

    return IntentHandler(sound_alike_home(), send), sent
