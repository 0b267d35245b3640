"""The home `bench/accuracy.py` measures on: 23 entities announced over MQTT discovery, each
in an area, and 43 spoken commands with the MQTT publishes that are their right action.

The devices are announced in the styles seen in the wild (zigbee2mqtt's abbreviated JSON-schema
lights, Tasmota and Shelly relays, ESPHome, full keys, device-based discovery with components)
and named as people name them, some hard for Whisper ("Ecobee thermostat", "Study light",
"Nursery radiator"). The commands are everyday phrasings, several per intent, on purpose not
only the grammar's own templates ("kitchen light off", "start the coffee maker", "raise the
blinds in the office"): some fail today, which is what the bench is for. Keep this set as it is
when the matcher changes, so runs stay comparable; add to it rather than edit it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

ON = json.dumps({"state": "ON"})
OFF = json.dumps({"state": "OFF"})

DEVICES: dict[str, dict[str, object]] = {
    # zigbee2mqtt: JSON-schema lights, abbreviated keys, the device's main entity
    "homeassistant/light/0x11/light/config": {
        "~": "zigbee2mqtt/kitchen_light", "name": None, "uniq_id": "0x11_light",
        "schema": "json", "cmd_t": "~/set", "stat_t": "~", "brightness": True,
        "sup_clrm": ["xy"], "dev": {"ids": ["0x11"], "name": "Kitchen light", "sa": "Kitchen"},
    },
    "homeassistant/light/0x12/light/config": {
        "~": "zigbee2mqtt/counter_lights", "name": None, "uniq_id": "0x12_light",
        "schema": "json", "cmd_t": "~/set", "stat_t": "~", "brightness": True,
        "dev": {"ids": ["0x12"], "name": "Counter lights", "sa": "Kitchen"},
    },
    # Tasmota relays (switch) with a value template
    "homeassistant/switch/tasmota_C0FFEE/relay_0/config": {
        "name": "Coffee maker", "uniq_id": "C0FFEE_RL_1", "~": "tasmota_C0FFEE/",
        "cmd_t": "~cmnd/POWER", "stat_t": "~tele/STATE", "val_tpl": "{{value_json.POWER}}",
        "pl_on": "ON", "pl_off": "OFF",
        "dev": {"ids": ["C0FFEE"], "name": "Coffee maker", "sa": "Kitchen"},
    },
    # a Shelly plug, full keys, lower-case payloads
    "homeassistant/switch/shelly_kettle/config": {
        "name": "Kettle", "unique_id": "shelly_kettle_relay",
        "command_topic": "shellies/kettle/relay/0/command",
        "state_topic": "shellies/kettle/relay/0", "payload_on": "on", "payload_off": "off",
        "device": {"identifiers": ["shelly_kettle"], "name": "Kettle", "suggested_area": "Kitchen"},
    },
    # a default-schema light with a brightness topic (scale 255), named "<area> <name>"
    "homeassistant/light/living_ceiling/config": {
        "name": "Ceiling light", "unique_id": "living_ceiling_light",
        "command_topic": "home/living/ceiling/set", "state_topic": "home/living/ceiling/state",
        "brightness_command_topic": "home/living/ceiling/brightness/set",
        "brightness_state_topic": "home/living/ceiling/brightness",
        "device": {"identifiers": ["living1"], "name": "Living room",
                   "suggested_area": "Living room"},
    },
    "homeassistant/light/floor_lamp/config": {
        "name": None, "unique_id": "floor_lamp", "command_topic": "home/living/floor_lamp/set",
        "state_topic": "home/living/floor_lamp/state",
        "device": {"identifiers": ["floor_lamp"], "name": "Floor lamp",
                   "suggested_area": "Living room"},
    },
    "homeassistant/cover/living_blinds/config": {
        "~": "zigbee2mqtt/living_room_blinds", "name": None, "uniq_id": "0x21_cover",
        "cmd_t": "~/set", "stat_t": "~/state", "pl_open": "OPEN", "pl_cls": "CLOSE",
        "pl_stop": "STOP", "stat_open": "open", "stat_clsd": "closed",
        "dev": {"ids": ["0x21"], "name": "Living room blinds", "sa": "Living room"},
    },
    # a climate device with several state topics
    "homeassistant/climate/ecobee/config": {
        "name": None, "unique_id": "ecobee_thermostat",
        "temperature_command_topic": "ecobee/thermostat/target/set",
        "temperature_state_topic": "ecobee/thermostat/target",
        "current_temperature_topic": "ecobee/thermostat/current",
        "mode_command_topic": "ecobee/thermostat/mode/set",
        "mode_state_topic": "ecobee/thermostat/mode", "modes": ["off", "heat", "cool", "auto"],
        "min_temp": 7, "max_temp": 30, "temp_step": 0.5,
        "device": {"identifiers": ["ecobee1"], "name": "Ecobee thermostat",
                   "suggested_area": "Living room"},
    },
    # the bedroom: a dimmable lamp on a 0..100 scale with colour, a ceiling fan
    "homeassistant/light/bedside_lamp/config": {
        "name": None, "unique_id": "bedside_lamp", "command_topic": "home/bedroom/bedside/set",
        "state_topic": "home/bedroom/bedside/state", "payload_on": "ON", "payload_off": "OFF",
        "brightness_command_topic": "home/bedroom/bedside/brightness/set",
        "brightness_state_topic": "home/bedroom/bedside/brightness", "brightness_scale": 100,
        "rgb_command_topic": "home/bedroom/bedside/rgb/set",
        "device": {"identifiers": ["bedside1"], "name": "Bedside lamp",
                   "suggested_area": "Bedroom"},
    },
    "homeassistant/fan/bedroom_fan/config": {
        "name": "Ceiling fan", "unique_id": "bedroom_ceiling_fan",
        "command_topic": "home/bedroom/fan/set", "state_topic": "home/bedroom/fan/state",
        "device": {"identifiers": ["bedroom_fan"], "name": "Bedroom", "suggested_area": "Bedroom"},
    },
    # the nursery: a colour lamp and a radiator valve (a second climate device)
    "homeassistant/light/nursery_lamp/config": {
        "name": None, "unique_id": "nursery_lamp", "command_topic": "home/nursery/lamp/set",
        "state_topic": "home/nursery/lamp/state",
        "brightness_command_topic": "home/nursery/lamp/brightness/set", "brightness_scale": 100,
        "rgb_command_topic": "home/nursery/lamp/rgb/set",
        "device": {"identifiers": ["nursery_lamp"], "name": "Nursery lamp",
                   "suggested_area": "Nursery"},
    },
    "homeassistant/climate/0x31/climate/config": {
        "~": "zigbee2mqtt/nursery_radiator", "name": None, "uniq_id": "0x31_climate",
        "temp_cmd_t": "~/set/current_heating_setpoint", "temp_stat_t": "~",
        "temp_stat_tpl": "{{ value_json.current_heating_setpoint }}",
        "curr_temp_t": "~", "curr_temp_tpl": "{{ value_json.local_temperature }}",
        "min_temp": 5, "max_temp": 30, "temp_step": 0.5,
        "dev": {"ids": ["0x31"], "name": "Nursery radiator", "sa": "Nursery"},
    },
    # the study: a Tasmota-flashed light
    "homeassistant/light/tasmota_5A7D/light_0/config": {
        "name": None, "uniq_id": "5A7D_LI_1", "~": "tasmota_5A7D/",
        "cmd_t": "~cmnd/POWER", "stat_t": "~tele/STATE", "val_tpl": "{{value_json.POWER}}",
        "pl_on": "ON", "pl_off": "OFF",
        "dev": {"ids": ["5A7D"], "name": "Study light", "sa": "Study"},
    },
    # the office: a desk lamp, a fan, blinds
    "homeassistant/light/desk_lamp/config": {
        "name": None, "unique_id": "desk_lamp", "command_topic": "home/office/desk_lamp/set",
        "state_topic": "home/office/desk_lamp/state",
        "device": {"identifiers": ["desk_lamp"], "name": "Desk lamp", "suggested_area": "Office"},
    },
    "homeassistant/fan/office_fan/config": {
        "name": None, "unique_id": "office_fan", "command_topic": "home/office/fan/set",
        "state_topic": "home/office/fan/state", "payload_on": "ON", "payload_off": "OFF",
        "device": {"identifiers": ["office_fan"], "name": "Office fan", "suggested_area": "Office"},
    },
    "homeassistant/cover/office_blinds/config": {
        "name": None, "unique_id": "office_blinds", "command_topic": "home/office/blinds/set",
        "state_topic": "home/office/blinds/state",
        "device": {"identifiers": ["office_blinds"], "name": "Office blinds",
                   "suggested_area": "Office"},
    },
    # ESPHome: a JSON-schema light with brightness
    "homeassistant/light/hallway/hallway_light/config": {
        "name": "Hallway light", "unique_id": "hallway_light", "schema": "json",
        "command_topic": "hallway/light/hallway_light/command",
        "state_topic": "hallway/light/hallway_light/state", "brightness": True,
        "device": {"identifiers": ["esp_hallway"], "name": "Hallway",
                   "suggested_area": "Hallway"},
    },
    # locks: full keys, and a Nuki bridge with lower-case payloads
    "homeassistant/lock/front_door/config": {
        "name": None, "unique_id": "front_door_lock",
        "command_topic": "home/front_door/set", "state_topic": "home/front_door/state",
        "payload_lock": "LOCK", "payload_unlock": "UNLOCK",
        "state_locked": "LOCKED", "state_unlocked": "UNLOCKED",
        "device": {"identifiers": ["front_door"], "name": "Front door",
                   "suggested_area": "Hallway"},
    },
    "homeassistant/lock/nuki_back/config": {
        "name": None, "uniq_id": "nuki_back_door", "cmd_t": "nuki/back_door/lock/set",
        "stat_t": "nuki/back_door/lock/state", "pl_lock": "lock", "pl_unlk": "unlock",
        "stat_locked": "locked", "stat_unlocked": "unlocked",
        "dev": {"ids": ["nuki1"], "name": "Back door", "sa": "Kitchen"},
    },
    # device-based discovery: the garage's door and light on one device
    "homeassistant/device/garage/config": {
        "dev": {"ids": ["garage1"], "name": "Garage", "sa": "Garage"},
        "o": {"name": "accuracy home"},
        "cmps": {
            "door": {"p": "cover", "uniq_id": "garage_door", "name": "Door",
                     "cmd_t": "garage/door/set", "stat_t": "garage/door/state",
                     "pl_open": "OPEN", "pl_cls": "CLOSE", "pl_stop": "STOP",
                     "stat_open": "open", "stat_clsd": "closed"},
            "light": {"p": "light", "uniq_id": "garage_light", "name": "Light",
                      "cmd_t": "garage/light/set", "stat_t": "garage/light/state"},
        },
    },
    # outside: the porch light (a Shelly dimmer, default schema) and a temperature sensor
    "homeassistant/light/porch/config": {
        "name": None, "unique_id": "porch_light", "command_topic": "shellies/porch/light/0/set",
        "state_topic": "shellies/porch/light/0/status", "payload_on": "on", "payload_off": "off",
        "device": {"identifiers": ["porch"], "name": "Porch light", "suggested_area": "Outside"},
    },
    "homeassistant/sensor/weather/temperature/config": {
        "name": "Outside temperature", "uniq_id": "outside_temp", "stat_t": "weather/outside",
        "val_tpl": "{{ value_json['temperature'] }}", "unit_of_meas": "°C",
        "dev_cla": "temperature",
        "dev": {"ids": ["weather1"], "name": "Weather station", "sa": "Outside"},
    },
}  # fmt: skip

ENTITY_COUNT = 23  # the garage device holds two

STATES: dict[str, str] = {
    "zigbee2mqtt/kitchen_light": json.dumps({"state": "OFF", "brightness": 12}),
    "zigbee2mqtt/counter_lights": json.dumps({"state": "OFF", "brightness": 200}),
    "tasmota_C0FFEE/tele/STATE": json.dumps({"POWER": "OFF", "Uptime": "1T02:00:00"}),
    "shellies/kettle/relay/0": "off",
    "home/living/ceiling/state": "ON",
    "home/living/ceiling/brightness": "180",
    "home/living/floor_lamp/state": "ON",
    "zigbee2mqtt/living_room_blinds/state": "open",
    "ecobee/thermostat/target": "21.5",
    "ecobee/thermostat/current": "19.0",
    "ecobee/thermostat/mode": "heat",
    "home/bedroom/bedside/state": "OFF",
    "home/bedroom/fan/state": "OFF",
    "home/nursery/lamp/state": "ON",
    "zigbee2mqtt/nursery_radiator": json.dumps(
        {"current_heating_setpoint": 18, "local_temperature": 17.5}
    ),
    "tasmota_5A7D/tele/STATE": json.dumps({"POWER": "OFF"}),
    "home/office/desk_lamp/state": "OFF",
    "home/office/fan/state": "ON",
    "home/office/blinds/state": "closed",
    "hallway/light/hallway_light/state": json.dumps({"state": "OFF"}),
    "home/front_door/state": "UNLOCKED",
    "nuki/back_door/lock/state": "locked",
    "garage/door/state": "closed",
    "garage/light/state": "ON",
    "shellies/porch/light/0/status": "off",
    "weather/outside": json.dumps({"temperature": 4.5, "humidity": 80}),
}


def discovery_messages() -> list[tuple[str, str]]:
    """(topic, payload) of every device's discovery document."""
    return [(topic, json.dumps(document)) for topic, document in DEVICES.items()]


@dataclass(frozen=True)
class Command:
    """A spoken command, the (topic, payload) publishes that are its right action (in any
    order), and for a question (no publish) a fragment its answer must hold."""

    text: str
    publishes: tuple[tuple[str, str], ...] = ()
    answer: str | None = None

    @property
    def question(self) -> bool:
        """A question answered without acting."""
        return not self.publishes


def _do(text: str, *publishes: tuple[str, str]) -> Command:
    return Command(text, publishes)


KITCHEN, COUNTER = "zigbee2mqtt/kitchen_light/set", "zigbee2mqtt/counter_lights/set"
CEILING, FLOOR = "home/living/ceiling/set", "home/living/floor_lamp/set"
RADIATOR = "zigbee2mqtt/nursery_radiator/set/current_heating_setpoint"

COMMANDS: tuple[Command, ...] = (
    # lights: on and off, said in several ways
    _do("Turn on the kitchen light.", (KITCHEN, ON)),
    _do("Kitchen light off.", (KITCHEN, OFF)),
    _do("Study light on.", ("tasmota_5A7D/cmnd/POWER", "ON")),
    _do("Switch off the hallway light.", ("hallway/light/hallway_light/command", OFF)),
    _do("Turn the floor lamp on.", (FLOOR, "ON")),
    _do("Switch on the desk lamp.", ("home/office/desk_lamp/set", "ON")),
    _do("Could you turn the nursery lamp off, please?", ("home/nursery/lamp/set", "OFF")),
    _do("Turn on the porch light.", ("shellies/porch/light/0/set", "on")),
    _do("Turn off the light in the garage.", ("garage/light/set", "OFF")),
    _do("Turn off all the lights in the living room.", (CEILING, "OFF"), (FLOOR, "OFF")),
    _do("Turn on the lights in the kitchen.", (KITCHEN, ON), (COUNTER, ON)),
    _do("Bedroom lights off, please.", ("home/bedroom/bedside/set", "OFF")),
    # brightness and colour
    _do(
        "Dim the kitchen light to 30 percent.",
        (KITCHEN, json.dumps({"state": "ON", "brightness": 76})),
    ),
    _do("Set the living room ceiling light to 50%.", ("home/living/ceiling/brightness/set", "128")),
    _do("Set the bedside lamp to 20 percent.", ("home/bedroom/bedside/brightness/set", "20")),
    _do(
        "Set the hallway light brightness to 80 percent.",
        ("hallway/light/hallway_light/command", json.dumps({"state": "ON", "brightness": 204})),
    ),
    _do("Make the nursery lamp pink.", ("home/nursery/lamp/rgb/set", "255,105,180")),
    _do("Turn the bedside lamp blue.", ("home/bedroom/bedside/rgb/set", "0,0,255")),
    # switches and fans
    _do("Turn on the coffee maker.", ("tasmota_C0FFEE/cmnd/POWER", "ON")),
    _do("Start the coffee maker.", ("tasmota_C0FFEE/cmnd/POWER", "ON")),
    _do("Switch the kettle on.", ("shellies/kettle/relay/0/command", "on")),
    _do("Turn off the kettle.", ("shellies/kettle/relay/0/command", "off")),
    _do("Turn on the ceiling fan in the bedroom.", ("home/bedroom/fan/set", "ON")),
    _do("Switch the office fan off.", ("home/office/fan/set", "OFF")),
    # covers
    _do("Open the garage door.", ("garage/door/set", "OPEN")),
    _do("Close the garage door, please.", ("garage/door/set", "CLOSE")),
    _do("Open the living room blinds.", ("zigbee2mqtt/living_room_blinds/set", "OPEN")),
    _do("Shut the blinds in the living room.", ("zigbee2mqtt/living_room_blinds/set", "CLOSE")),
    _do("Lower the office blinds.", ("home/office/blinds/set", "CLOSE")),
    _do("Raise the blinds in the office.", ("home/office/blinds/set", "OPEN")),
    # locks
    _do("Lock the front door.", ("home/front_door/set", "LOCK")),
    _do("Unlock the back door.", ("nuki/back_door/lock/set", "unlock")),
    _do("Please lock the back door.", ("nuki/back_door/lock/set", "lock")),
    # climate
    _do("Set the Ecobee thermostat to 21 degrees.", ("ecobee/thermostat/target/set", "21")),
    _do("Set the living room temperature to 20 degrees.", ("ecobee/thermostat/target/set", "20")),
    _do("Set the thermostat to 22.", ("ecobee/thermostat/target/set", "22")),
    _do("Set the nursery radiator to 19 degrees.", (RADIATOR, "19")),
    _do("Set the temperature in the nursery to 18.5 degrees.", (RADIATOR, "18.5")),
    # questions: answered from the state topics, no publish
    Command("Is the front door locked?", answer="Front door is unlocked"),
    Command("Is the garage door open?", answer="Garage Door is closed"),
    Command("Is the kettle on?", answer="Kettle is off"),
    Command("What's the temperature in the living room?", answer="19.0 degrees now"),
    Command("What's the temperature outside?", answer="4.5 °C"),
)  # fmt: skip
