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
    ("set the bedroom lamp at 20%", [("home/bedroom/lamp/brightness/set", "20")], "20"),
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
    ("open a garage door", [("garage/door/set", "OPEN")], "Opening the Garage Door"),
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


# A second home for the phrasing table: several lights a room, blinds, curtains, a fan, two
# thermostats, names that share words ("Garage door", "Garage light", "Front door").
FLAT_DEVICES: dict[str, dict[str, object]] = {
    "homeassistant/light/flat_kitchen/config": {
        "name": "Kitchen light", "uniq_id": "flat_kitchen_light",
        "cmd_t": "flat/kitchen/light/set", "stat_t": "flat/kitchen/light/state",
        "bri_cmd_t": "flat/kitchen/light/brightness/set",
        "bri_stat_t": "flat/kitchen/light/brightness", "bri_scl": 100,
        "dev": {"ids": ["flat_kl"], "name": "Kitchen light", "sa": "Kitchen"},
    },
    # zigbee2mqtt: JSON schema, the device's main entity
    "homeassistant/light/0xC0/light/config": {
        "~": "z2m/counter", "name": None, "uniq_id": "0xC0_light", "schema": "json",
        "cmd_t": "~/set", "stat_t": "~", "brightness": True,
        "dev": {"ids": ["0xC0"], "name": "Counter light", "sa": "Kitchen"},
    },
    "homeassistant/switch/tasmota_B2/relay_0/config": {
        "name": "Coffee maker", "uniq_id": "B2_RL_1", "~": "tasmota_B2/",
        "cmd_t": "~cmnd/POWER", "stat_t": "~tele/STATE", "val_tpl": "{{value_json.POWER}}",
        "dev": {"ids": ["B2"], "name": "Coffee maker", "sa": "Kitchen"},
    },
    # device-based discovery: the bedroom's two lights and its blinds (position only)
    "homeassistant/device/flat_bedroom/config": {
        "dev": {"ids": ["flat_bedroom"], "name": "Bedroom", "sa": "Bedroom"},
        "o": {"name": "test"},
        "cmps": {
            "ceiling": {"p": "light", "uniq_id": "flat_bedroom_ceiling", "name": "Ceiling light",
                        "cmd_t": "flat/bedroom/ceiling/set", "stat_t": "flat/bedroom/ceiling/state",
                        "bri_cmd_t": "flat/bedroom/ceiling/brightness/set",
                        "bri_stat_t": "flat/bedroom/ceiling/brightness", "bri_scl": 100},
            "bedside": {"p": "light", "uniq_id": "flat_bedroom_bedside", "name": "Bedside lamp",
                        "cmd_t": "flat/bedroom/bedside/set"},
            "blinds": {"p": "cover", "uniq_id": "flat_bedroom_blinds", "name": "Blinds",
                       "dev_cla": "blind", "set_pos_t": "flat/bedroom/blinds/position/set",
                       "pos_t": "flat/bedroom/blinds/position"},
        },
    },
    "homeassistant/cover/flat_curtains/config": {
        "name": "Living room curtains", "unique_id": "flat_living_curtains",
        "command_topic": "flat/living/curtains/set", "device_class": "curtain",
        "device": {"identifiers": ["flat_curtains"], "suggested_area": "Living room"},
    },
    "homeassistant/light/flat_floor_lamp/config": {
        "name": "Floor lamp", "unique_id": "flat_floor_lamp",
        "command_topic": "flat/living/lamp/set",
        "device": {"identifiers": ["flat_floor_lamp"], "suggested_area": "Living room"},
    },
    "homeassistant/climate/flat_living/config": {
        "name": None, "unique_id": "flat_living_thermostat",
        "temperature_command_topic": "flat/living/thermostat/target/set",
        "temperature_state_topic": "flat/living/thermostat/target", "min_temp": 7, "max_temp": 30,
        "device": {"identifiers": ["flat_living_thermo"], "name": "Living room thermostat",
                   "suggested_area": "Living room"},
    },
    "homeassistant/light/0xD0/light/config": {
        "~": "z2m/study", "name": None, "uniq_id": "0xD0_light", "schema": "json",
        "cmd_t": "~/set", "stat_t": "~", "brightness": True, "sup_clrm": ["xy"],
        "dev": {"ids": ["0xD0"], "name": "Study light", "sa": "Study"},
    },
    "homeassistant/fan/flat_desk_fan/config": {
        "name": "Desk fan", "uniq_id": "flat_desk_fan", "cmd_t": "flat/study/fan/set",
        "dev": {"ids": ["flat_fan"], "sa": "Study"},
    },
    "homeassistant/climate/flat_study/config": {
        "name": "Study thermostat", "uniq_id": "flat_study_thermostat",
        "temp_cmd_t": "flat/study/thermostat/set", "temp_stat_t": "flat/study/thermostat/target",
        "curr_temp_t": "flat/study/thermostat/current",
        "dev": {"ids": ["flat_study_thermo"], "sa": "Study"},
    },
    "homeassistant/cover/flat_garage/config": {
        "name": "Garage door", "uniq_id": "flat_garage_door", "dev_cla": "garage",
        "cmd_t": "flat/garage/door/set", "stat_t": "flat/garage/door/state",
        "dev": {"ids": ["flat_garage_door"], "sa": "Garage"},
    },
    "homeassistant/light/flat_garage/config": {
        "name": "Garage light", "uniq_id": "flat_garage_light", "cmd_t": "flat/garage/light/set",
        "dev": {"ids": ["flat_garage_light"], "sa": "Garage"},
    },
    "homeassistant/lock/flat_front_door/config": {
        "name": "Front door", "uniq_id": "flat_front_door", "cmd_t": "flat/hallway/lock/set",
        "stat_t": "flat/hallway/lock/state",
        "dev": {"ids": ["flat_front_door"], "sa": "Hallway"},
    },
    "homeassistant/scene/flat_movie/config": {
        "name": "Movie time", "uniq_id": "flat_movie_time", "cmd_t": "flat/scene/movie/set",
    },
}  # fmt: skip
FLAT_ENTITIES = len(FLAT_DEVICES) + 2  # the bedroom device has three components

FLAT_STATES: dict[str, str] = {
    "flat/kitchen/light/state": "ON",
    "flat/kitchen/light/brightness": "60",
    "z2m/counter": json.dumps({"state": "OFF", "brightness": 200}),
    "tasmota_B2/tele/STATE": json.dumps({"POWER": "OFF"}),
    "flat/bedroom/ceiling/state": "ON",
    "flat/bedroom/ceiling/brightness": "80",
    "z2m/study": json.dumps({"state": "ON", "brightness": 128}),
    "flat/living/thermostat/target": "21",
    "flat/study/thermostat/target": "20",
    "flat/study/thermostat/current": "18.5",
    "flat/garage/door/state": "closed",
    "flat/hallway/lock/state": "LOCKED",
}


def flat_messages() -> list[tuple[str, str]]:
    """(topic, payload) of the flat's discovery documents, then of its states."""
    documents = [(topic, json.dumps(document)) for topic, document in FLAT_DEVICES.items()]
    return [*documents, *FLAT_STATES.items()]


# The flat's phrasing table: (sentence, the (topic, payload) publishes in order, the answer
# or how it starts).
FLAT_TABLE: list[tuple[str, list[tuple[str, str]], str]] = [
    # lights: word orders, several lights a room, plurals, a kind of thing for a name
    (
        "turn on the kitchen light",
        [("flat/kitchen/light/set", "ON")],
        "Turned on the Kitchen light.",
    ),
    ("kitchen light on", [("flat/kitchen/light/set", "ON")], "Turned on the Kitchen light."),
    ("the kitchen light off", [("flat/kitchen/light/set", "OFF")], "Turned off the Kitchen light."),
    (
        "switch the kitchen light on please",
        [("flat/kitchen/light/set", "ON")],
        "Turned on the Kitchen light.",
    ),
    (
        "lights on in the bedroom",
        [("flat/bedroom/bedside/set", "ON"), ("flat/bedroom/ceiling/set", "ON")],
        "Turned on the 2 lights in the Bedroom.",
    ),
    (
        "turn the lights on in the kitchen",
        [("z2m/counter/set", '{"state": "ON"}'), ("flat/kitchen/light/set", "ON")],
        "Turned on the 2 lights in the Kitchen.",
    ),
    (
        "turn off the lights in the kitchen",
        [("z2m/counter/set", '{"state": "OFF"}'), ("flat/kitchen/light/set", "OFF")],
        "Turned off the 2 lights in the Kitchen.",
    ),
    (
        "kitchen lights off",
        [("z2m/counter/set", '{"state": "OFF"}'), ("flat/kitchen/light/set", "OFF")],
        "Turned off the 2 lights in the Kitchen.",
    ),
    (
        "turn on all the lights in the living room",
        [("flat/living/lamp/set", "ON")],
        "Turned on the light in the Living room.",
    ),
    (
        "switch off the bedroom lights",
        [("flat/bedroom/bedside/set", "OFF"), ("flat/bedroom/ceiling/set", "OFF")],
        "Turned off the 2 lights in the Bedroom.",
    ),
    (
        "turn on the bedroom light",
        [("flat/bedroom/bedside/set", "ON"), ("flat/bedroom/ceiling/set", "ON")],
        "Turned on the 2 lights in the Bedroom.",
    ),
    ("turn on the garage light", [("flat/garage/light/set", "ON")], "Turned on the Garage light."),
    (
        "turn on the bedside lamp",
        [("flat/bedroom/bedside/set", "ON")],
        "Turned on the Bedroom Bedside lamp.",
    ),
    ("turn off the floor lamps", [("flat/living/lamp/set", "OFF")], "Turned off the Floor lamp."),
    (
        "turn off the counter lights",
        [("z2m/counter/set", '{"state": "OFF"}')],
        "Turned off the Counter light.",
    ),
    (
        "light up the study",
        [("z2m/study/set", '{"state": "ON"}')],
        "Turned on the light in the Study.",
    ),
    (
        "turn on the lamp in the living room",
        [("flat/living/lamp/set", "ON")],
        "Turned on the lamp in the Living room.",
    ),
    (
        "turn off all the lights",
        [
            ("flat/bedroom/bedside/set", "OFF"),
            ("flat/bedroom/ceiling/set", "OFF"),
            ("flat/garage/light/set", "OFF"),
            ("z2m/counter/set", '{"state": "OFF"}'),
            ("flat/kitchen/light/set", "OFF"),
            ("flat/living/lamp/set", "OFF"),
            ("z2m/study/set", '{"state": "OFF"}'),
        ],
        "Turned off the 7 lights.",
    ),
    # switches, fans and scenes: start and stop, a name's distinctive part
    ("start the coffee maker", [("tasmota_B2/cmnd/POWER", "ON")], "Turned on the Coffee maker."),
    ("stop the coffee maker", [("tasmota_B2/cmnd/POWER", "OFF")], "Turned off the Coffee maker."),
    ("coffee maker on", [("tasmota_B2/cmnd/POWER", "ON")], "Turned on the Coffee maker."),
    (
        "turn the coffee maker off",
        [("tasmota_B2/cmnd/POWER", "OFF")],
        "Turned off the Coffee maker.",
    ),
    ("start the coffee", [("tasmota_B2/cmnd/POWER", "ON")], "Turned on the Coffee maker."),
    ("stop the fan", [("flat/study/fan/set", "OFF")], "Turned off the Desk fan."),
    ("turn on the desk fan", [("flat/study/fan/set", "ON")], "Turned on the Desk fan."),
    ("fan on in the study", [("flat/study/fan/set", "ON")], "Turned on the fan in the Study."),
    ("activate movie time", [("flat/scene/movie/set", "ON")], "Turned on the Movie time."),
    # covers: the garage by its distinctive part, blinds and curtains
    ("close the garage", [("flat/garage/door/set", "CLOSE")], "Closing the Garage door."),
    ("open the garage door", [("flat/garage/door/set", "OPEN")], "Opening the Garage door."),
    ("shut the garage door", [("flat/garage/door/set", "CLOSE")], "Closing the Garage door."),
    ("open the garage", [("flat/garage/door/set", "OPEN")], "Opening the Garage door."),
    (
        "shut the blinds in the bedroom",
        [("flat/bedroom/blinds/position/set", "0")],
        "Closing the blind in the Bedroom.",
    ),
    (
        "raise the bedroom blinds",
        [("flat/bedroom/blinds/position/set", "100")],
        "Opening the Bedroom Blinds.",
    ),
    (
        "lower the blinds",
        [("flat/bedroom/blinds/position/set", "0")],
        "Closing the Bedroom Blinds.",
    ),
    (
        "shut the blinds",
        [("flat/bedroom/blinds/position/set", "0")],
        "Closing the Bedroom Blinds.",
    ),
    (
        "close the curtains in the living room",
        [("flat/living/curtains/set", "CLOSE")],
        "Closing the curtain in the Living room.",
    ),
    (
        "open the living room curtains",
        [("flat/living/curtains/set", "OPEN")],
        "Opening the Living room curtains.",
    ),
    (
        "roll down the blinds",
        [("flat/bedroom/blinds/position/set", "0")],
        "Closing the Bedroom Blinds.",
    ),
    (
        "open the bedroom blind",
        [("flat/bedroom/blinds/position/set", "100")],
        "Opening the blind in the Bedroom.",
    ),
    (
        "put the blinds up",
        [("flat/bedroom/blinds/position/set", "100")],
        "Opening the Bedroom Blinds.",
    ),
    # brightness and colour
    (
        "set the brightness of the study light to 50 percent",
        [("z2m/study/set", '{"state": "ON", "brightness": 128}')],
        "Set the Study light to 50 percent.",
    ),
    (
        "study light to 30 percent",
        [("z2m/study/set", '{"state": "ON", "brightness": 76}')],
        "Set the Study light to 30 percent.",
    ),
    (
        "set the kitchen light to 40%",
        [("flat/kitchen/light/brightness/set", "40")],
        "Set the Kitchen light to 40 percent.",
    ),
    (
        "dim the kitchen light",
        [("flat/kitchen/light/brightness/set", "35")],
        "Dimmed the Kitchen light to 35 percent.",
    ),
    (
        "brighten the kitchen light",
        [("flat/kitchen/light/brightness/set", "85")],
        "Brightened the Kitchen light to 85 percent.",
    ),
    (
        "dim the study light to 20 percent",
        [("z2m/study/set", '{"state": "ON", "brightness": 51}')],
        "Set the Study light to 20 percent.",
    ),
    (
        "set the brightness in the kitchen to 50 percent",
        [
            ("z2m/counter/set", '{"state": "ON", "brightness": 128}'),
            ("flat/kitchen/light/brightness/set", "50"),
        ],
        "Set the 2 lights in the Kitchen to 50 percent.",
    ),
    (
        "dim the bedroom lights",
        [("flat/bedroom/ceiling/brightness/set", "55")],
        "Dimmed the light in the Bedroom. The Bedroom Bedside lamp can't be dimmed.",
    ),
    (
        "make the study light brighter",
        [("z2m/study/set", '{"state": "ON", "brightness": 191}')],
        "Brightened the Study light to 75 percent.",
    ),
    (
        "make the study light blue",
        [("z2m/study/set", '{"state": "ON", "color": {"x": 0.15, "y": 0.06}}')],
        "Turned the Study light blue.",
    ),
    (
        "set the color of the study light to red",
        [("z2m/study/set", '{"state": "ON", "color": {"x": 0.6401, "y": 0.33}}')],
        "Turned the Study light red.",
    ),
    # locks and thermostats
    ("lock the front door", [("flat/hallway/lock/set", "LOCK")], "Locked the Front door."),
    (
        "unlock the front door please",
        [("flat/hallway/lock/set", "UNLOCK")],
        "Unlocked the Front door.",
    ),
    (
        "could you lock the front door",
        [("flat/hallway/lock/set", "LOCK")],
        "Locked the Front door.",
    ),
    (
        "set the living room thermostat to 21 degrees",
        [("flat/living/thermostat/target/set", "21")],
        "Set the Living room thermostat to 21 degrees.",
    ),
    (
        "set the temperature in the study to 19.5",
        [("flat/study/thermostat/set", "19.5")],
        "Set the Study thermostat to 19.5 degrees.",
    ),
    (
        "set the study temperature to 18 degrees",
        [("flat/study/thermostat/set", "18")],
        "Set the Study thermostat to 18 degrees.",
    ),
    (
        "set the study thermostat at 18.5 degrees",
        [("flat/study/thermostat/set", "18.5")],
        "Set the Study thermostat to 18.5 degrees.",
    ),
    (
        "set the living room to 20 degrees",
        [("flat/living/thermostat/target/set", "20")],
        "Set the Living room thermostat to 20 degrees.",
    ),
    (
        "change the study thermostat to 22",
        [("flat/study/thermostat/set", "22")],
        "Set the Study thermostat to 22 degrees.",
    ),
    (
        "set the heating in the living room to 23",
        [("flat/living/thermostat/target/set", "23")],
        "Set the Living room thermostat to 23 degrees.",
    ),
    # politeness
    (
        "can you please turn on the garage light",
        [("flat/garage/light/set", "ON")],
        "Turned on the Garage light.",
    ),
    (
        "turn off the garage light thanks",
        [("flat/garage/light/set", "OFF")],
        "Turned off the Garage light.",
    ),
    (
        "please close the garage thank you",
        [("flat/garage/door/set", "CLOSE")],
        "Closing the Garage door.",
    ),
    (
        "would you switch off the desk fan",
        [("flat/study/fan/set", "OFF")],
        "Turned off the Desk fan.",
    ),
    (
        "ok turn off the coffee maker",
        [("tasmota_B2/cmnd/POWER", "OFF")],
        "Turned off the Coffee maker.",
    ),
    # questions, from the state topics: no publish
    ("is the garage door open", [], "The Garage door is closed."),
    ("is the front door locked", [], "The Front door is locked."),
    (
        "are the kitchen lights on",
        [],
        "The Counter light is off. The Kitchen light is on, at 60 percent.",
    ),
    (
        "what's the temperature in the study",
        [],
        "The Study thermostat is set to 20 degrees, it is 18.5 degrees now.",
    ),
    ("is the coffee maker on", [], "The Coffee maker is off."),
    # more than one, or none, and no area: a question back, nothing done
    (
        "set the temperature to 20",
        [],
        "Which thermostat? In the Living room or the Study?",
    ),
    (
        "turn on the light",
        [],
        "Which light? In the Bedroom, the Garage, the Kitchen, the Living room or the Study?",
    ),
    (
        "open the door",
        [],
        "There is more than one door: the one in the Garage or the one in the Hallway?",
    ),
    (
        "is the garage open",
        [],
        "There is more than one garage: the Garage door or the Garage light?",
    ),
    ("turn on the lamp", [], "Which lamp? In the Bedroom or the Living room?"),
]

# Said in a room (a satellite's area, or the area of the device Home Assistant names):
# (area, sentence, publishes, answer).
FLAT_CONTEXT_TABLE: list[tuple[str, str, list[tuple[str, str]], str]] = [
    (
        "Bedroom",
        "turn on the light",
        [("flat/bedroom/bedside/set", "ON"), ("flat/bedroom/ceiling/set", "ON")],
        "Turned on the 2 lights in the Bedroom.",
    ),
    (
        "bedroom",
        "turn off the lights",
        [("flat/bedroom/bedside/set", "OFF"), ("flat/bedroom/ceiling/set", "OFF")],
        "Turned off the 2 lights in the Bedroom.",
    ),
    (
        "Bedroom",
        "close the blinds",
        [("flat/bedroom/blinds/position/set", "0")],
        "Closing the blind in the Bedroom.",
    ),
    (
        "Bedroom",
        "open the blinds",
        [("flat/bedroom/blinds/position/set", "100")],
        "Opening the blind in the Bedroom.",
    ),
    (
        "Bedroom",
        "turn on the lamp",
        [("flat/bedroom/bedside/set", "ON")],
        "Turned on the lamp in the Bedroom.",
    ),
    (
        "Living room",
        "set the temperature to 20",
        [("flat/living/thermostat/target/set", "20")],
        "Set the Living room thermostat to 20 degrees.",
    ),
    (
        "Living room",
        "make it 22 degrees",
        [("flat/living/thermostat/target/set", "22")],
        "Set the Living room thermostat to 22 degrees.",
    ),
    (
        "Living room",
        "close the curtains",
        [("flat/living/curtains/set", "CLOSE")],
        "Closing the curtain in the Living room.",
    ),
    (
        "Study",
        "set the temperature to 20.5",
        [("flat/study/thermostat/set", "20.5")],
        "Set the Study thermostat to 20.5 degrees.",
    ),
    ("Study", "stop the fan", [("flat/study/fan/set", "OFF")], "Turned off the fan in the Study."),
    (
        "Study",
        "dim the lights",
        [("z2m/study/set", '{"state": "ON", "brightness": 64}')],
        "Dimmed the light in the Study.",
    ),
    (
        "Study",
        "set the brightness to 40 percent",
        [("z2m/study/set", '{"state": "ON", "brightness": 102}')],
        "Set the light in the Study to 40 percent.",
    ),
    (
        "Kitchen",
        "turn on the lights in here",
        [("z2m/counter/set", '{"state": "ON"}'), ("flat/kitchen/light/set", "ON")],
        "Turned on the 2 lights in the Kitchen.",
    ),
    ("Garage", "open the door", [("flat/garage/door/set", "OPEN")], "Opening the Garage door."),
    # a name said, or an area said, wins over the room it was said in
    (
        "Bedroom",
        "turn on the kitchen light",
        [("flat/kitchen/light/set", "ON")],
        "Turned on the Kitchen light.",
    ),
    (
        "Bedroom",
        "close the garage",
        [("flat/garage/door/set", "CLOSE")],
        "Closing the Garage door.",
    ),
    (
        "Living room",
        "turn on the lights in the bedroom",
        [("flat/bedroom/bedside/set", "ON"), ("flat/bedroom/ceiling/set", "ON")],
        "Turned on the 2 lights in the Bedroom.",
    ),
    # nothing of that kind in the room: said, nothing done
    ("Kitchen", "close the blinds", [], "There are no blinds in the Kitchen."),
    ("Kitchen", "turn on the lamp", [], "There are no lamps in the Kitchen."),
    ("Hallway", "turn on the light", [], "There are no lights in the Hallway."),
    ("Kitchen", "set the temperature to 20", [], "There are no thermostats in the Kitchen."),
]
