"""A fake home: devices that announce themselves through Home Assistant MQTT discovery.

A mix of styles seen in the wild: abbreviated keys with `~` (Tasmota, zigbee2mqtt), full keys,
single-component and device-based discovery.
"""

from __future__ import annotations

import json

DEVICES: dict[str, dict[str, object]] = {
    # zigbee2mqtt-style JSON-schema light, abbreviated, main entity of its device
    "homeassistant/light/0x01/light/config": {
        "~": "zigbee2mqtt/kitchen_light", "name": None, "uniq_id": "0x01_light",
        "schema": "json", "cmd_t": "~/set", "stat_t": "~", "brightness": True,
        "sup_clrm": ["xy"], "dev": {"ids": ["0x01"], "name": "Kitchen light", "sa": "Kitchen"},
    },
    # a plain (default schema) light with full keys and a brightness topic
    "homeassistant/light/lamp/config": {
        "name": "Lamp", "unique_id": "bedroom_lamp", "command_topic": "home/bedroom/lamp/set",
        "state_topic": "home/bedroom/lamp/state", "payload_on": "ON", "payload_off": "OFF",
        "brightness_command_topic": "home/bedroom/lamp/brightness/set",
        "brightness_state_topic": "home/bedroom/lamp/brightness", "brightness_scale": 100,
        "rgb_command_topic": "home/bedroom/lamp/rgb/set",
        "device": {"identifiers": ["lamp1"], "name": "Bedroom", "suggested_area": "Bedroom"},
    },
    # Tasmota-style switch with a value template
    "homeassistant/switch/tasmota_A1/relay_0/config": {
        "name": "Coffee machine", "uniq_id": "A1_RL_1", "~": "tasmota_A1/",
        "cmd_t": "~cmnd/POWER", "stat_t": "~tele/STATE", "val_tpl": "{{value_json.POWER}}",
        "pl_on": "ON", "pl_off": "OFF", "dev": {"ids": ["A1"], "name": "Coffee machine"},
    },
    # device-based discovery: a cover and a lock on one device
    "homeassistant/device/garage/config": {
        "dev": {"ids": ["garage1"], "name": "Garage", "sa": "Garage"},
        "o": {"name": "test"},
        "cmps": {
            "door": {"p": "cover", "uniq_id": "garage_door", "name": "Door",
                     "cmd_t": "garage/door/set", "stat_t": "garage/door/state",
                     "pl_open": "OPEN", "pl_cls": "CLOSE", "pl_stop": "STOP",
                     "stat_open": "open", "stat_clsd": "closed"},
            "lock": {"p": "lock", "uniq_id": "garage_lock", "name": "Side lock",
                     "cmd_t": "garage/lock/set", "stat_t": "garage/lock/state"},
        },
    },
    # a climate device with several state topics
    "homeassistant/climate/thermostat/config": {
        "name": None, "unique_id": "living_thermostat",
        "temperature_command_topic": "home/living/thermostat/target/set",
        "temperature_state_topic": "home/living/thermostat/target",
        "current_temperature_topic": "home/living/thermostat/current",
        "mode_command_topic": "home/living/thermostat/mode/set",
        "mode_state_topic": "home/living/thermostat/mode", "modes": ["off", "heat", "auto"],
        "min_temp": 7, "max_temp": 30, "temp_step": 0.5,
        "device": {"identifiers": ["thermo1"], "name": "Living room thermostat",
                   "suggested_area": "Living room"},
    },
    # a front door lock, full keys
    "homeassistant/lock/front_door/config": {
        "name": "Front door", "unique_id": "front_door_lock",
        "command_topic": "home/front_door/set", "state_topic": "home/front_door/state",
        "payload_lock": "LOCK", "payload_unlock": "UNLOCK",
        "state_locked": "LOCKED", "state_unlocked": "UNLOCKED",
    },
    # a temperature sensor with a JSON state
    "homeassistant/sensor/outside/temperature/config": {
        "name": "Outside temperature", "uniq_id": "outside_temp", "stat_t": "weather/outside",
        "val_tpl": "{{ value_json['temperature'] }}", "unit_of_meas": "°C",
        "dev_cla": "temperature",
    },
}  # fmt: skip

STATES: dict[str, str] = {
    "zigbee2mqtt/kitchen_light": json.dumps({"state": "OFF", "brightness": 12}),
    "home/bedroom/lamp/state": "ON",
    "home/bedroom/lamp/brightness": "40",
    "tasmota_A1/tele/STATE": json.dumps({"POWER": "OFF", "Uptime": "1T02:00:00"}),
    "garage/door/state": "closed",
    "garage/lock/state": "LOCKED",
    "home/living/thermostat/target": "21.5",
    "home/living/thermostat/current": "19.0",
    "home/living/thermostat/mode": "heat",
    "home/front_door/state": "UNLOCKED",
    "weather/outside": json.dumps({"temperature": 4.5, "humidity": 80}),
}


def discovery_messages() -> list[tuple[str, str]]:
    """(topic, payload) of every device's discovery document."""
    return [(topic, json.dumps(document)) for topic, document in DEVICES.items()]


ON = json.dumps({"state": "ON"})
OFF = json.dumps({"state": "OFF"})

# Spoken-style sentences for this home: the (topic, payload) publishes each must cause, and a
# fragment of the answer. Time and date answers assume 2026-11-23 20:05.
SENTENCE_TABLE: list[tuple[str, list[tuple[str, str]], str]] = [
    (
        "turn on the kitchen light",
        [("zigbee2mqtt/kitchen_light/set", ON)],
        "Turned on the Kitchen light",
    ),
    ("Turn on the kitchen light.", [("zigbee2mqtt/kitchen_light/set", ON)], "Turned on"),
    ("please switch the kitchen light on", [("zigbee2mqtt/kitchen_light/set", ON)], "Turned on"),
    (
        "could you turn off the kitchen light please",
        [("zigbee2mqtt/kitchen_light/set", OFF)],
        "off",
    ),
    ("turn off the kitchen light in the kitchen", [("zigbee2mqtt/kitchen_light/set", OFF)], "off"),
    ("switch on the coffee machine", [("tasmota_A1/cmnd/POWER", "ON")], "Coffee machine"),
    ("turn the coffee machine off", [("tasmota_A1/cmnd/POWER", "OFF")], "off"),
    ("turn on the bedroom lamp", [("home/bedroom/lamp/set", "ON")], "Bedroom Lamp"),
    (
        "turn on all the lights in the bedroom",
        [("home/bedroom/lamp/set", "ON")],
        "the light in the Bedroom",
    ),
    ("turn off the kitchen lights", [("zigbee2mqtt/kitchen_light/set", OFF)], "in the Kitchen"),
    (
        "dim the bedroom lamp to 40 percent",
        [("home/bedroom/lamp/brightness/set", "40")],
        "40 percent",
    ),
    ("set the bedroom lamp brightness to 75%", [("home/bedroom/lamp/brightness/set", "75")], "75"),
    (
        "set the kitchen light to 50 percent",
        [("zigbee2mqtt/kitchen_light/set", json.dumps({"state": "ON", "brightness": 128}))],
        "50",
    ),
    (
        "make the kitchen light blue",
        [
            (
                "zigbee2mqtt/kitchen_light/set",
                json.dumps({"state": "ON", "color": {"x": 0.15, "y": 0.06}}),
            )
        ],
        "Kitchen light blue",
    ),
    ("set the bedroom lamp to red", [("home/bedroom/lamp/rgb/set", "255,0,0")], "red"),
    ("open the garage door", [("garage/door/set", "OPEN")], "Opening the Garage Door"),
    ("close the garage door", [("garage/door/set", "CLOSE")], "Closing"),
    ("shut my garage door", [("garage/door/set", "CLOSE")], "Closing"),
    ("lock the front door", [("home/front_door/set", "LOCK")], "Locked the Front door"),
    ("unlock the front door", [("home/front_door/set", "UNLOCK")], "Unlocked"),
    ("lock the garage side lock", [("garage/lock/set", "LOCK")], "Locked"),
    (
        "set the living room thermostat to 20 degrees",
        [("home/living/thermostat/target/set", "20")],
        "20 degrees",
    ),
    (
        "set the temperature in the living room to 21.5 degrees",
        [("home/living/thermostat/target/set", "21.5")],
        "21.5 degrees",
    ),
    ("set the living room temperature to 19", [("home/living/thermostat/target/set", "19")], "19"),
    # questions, answered from the state topics: no publish
    ("is the front door locked", [], "The Front door is unlocked."),
    ("is the garage door open", [], "The Garage Door is closed."),
    ("what is the state of the coffee machine", [], "The Coffee machine is off."),
    ("is the bedroom lamp on", [], "The Bedroom Lamp is on, at 40 percent."),
    ("what is the outside temperature", [], "The Outside temperature is 4.5 °C."),
    (
        "what is the living room thermostat set to",
        [],
        "is set to 21.5 degrees, it is 19.0 degrees now",
    ),
    ("what time is it", [], "It's 8:05 PM."),
    ("what is the time", [], "It's 8:05 PM."),
    ("what day is it today", [], "Today is Monday, November 23."),
    ("never mind", [], "OK."),
]
