"""Local intents: text → a recognized intent → MQTT publishes and a spoken answer.

Sentences come from `sentences.yaml` (hassil); the entity and area lists are built from the
registry. An unknown name matches nothing, and an ambiguous one gets a question back: neither
ever publishes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from hassil import Intents, RecognizeResult, TextSlotList, recognize

from .actions import ACTIONS, COVERS, SWITCHABLE, ActionRefused, Publish, describe, turn
from .registry import Entity, EntityRegistry
from .timers import Timer, Timers, spoken_duration

_LOGGER = logging.getLogger(__name__)

SENTENCES = Path(__file__).with_name("sentences.yaml")
SKIP_WORDS = ["please", "can you", "could you", "would you", "hey"]
NOT_UNDERSTOOD = "Sorry, I didn't understand that."
NO_TIMER = "There is no timer running."
NO_BROKER = "I can't reach your devices right now: the MQTT broker is not connected."

# list name -> which platforms an entity must have to be in it
ENTITY_LISTS: dict[str, Callable[[str], bool]] = {
    "name": lambda platform: True,
    "switchable": lambda platform: platform in SWITCHABLE,
    "light": lambda platform: platform == "light",
    "cover": lambda platform: platform in COVERS,
    "lock": lambda platform: platform == "lock",
    "climate": lambda platform: platform == "climate",
}


# intent -> (action, the slot holding its value, the answer)
INTENT_ACTIONS: dict[str, tuple[str, str | None, str]] = {
    "TurnOn": ("turn_on", None, "Turned on the {name}."),
    "TurnOff": ("turn_off", None, "Turned off the {name}."),
    "SetBrightness": ("set_brightness", "brightness", "Set the {name} to {value} percent."),
    "SetColor": ("set_color", "color", "Turned the {name} {value}."),
    "Open": ("open", None, "Opening the {name}."),
    "Close": ("close", None, "Closing the {name}."),
    "Lock": ("lock", None, "Locked the {name}."),
    "Unlock": ("unlock", None, "Unlocked the {name}."),
    "SetTemperature": ("set_temperature", "temperature", "Set the {name} to {value} degrees."),
}


TIMER_INTENTS = (
    "StartTimer",
    "CancelTimer",
    "PauseTimer",
    "ResumeTimer",
    "IncreaseTimer",
    "DecreaseTimer",
    "TimerStatus",
)


@dataclass(frozen=True)
class Plan:
    """What the handler would do for one text, before anything is done.

    `understand` makes it without side effects, so a speculative transcript can be planned (and
    its answer rendered) and then dropped; `carry_out` does it. A timer's change is `deferred`:
    it runs, and says its answer, only when the plan is carried out.
    """

    handled: bool
    answer: str
    intent: str | None = None
    publishes: tuple[Publish, ...] = ()
    deferred: Callable[[], str] | None = None

    @property
    def complete(self) -> bool:
        """The text was a whole sentence of the grammar (acted on, refused or asked back)."""
        return self.intent is not None


@dataclass(frozen=True)
class Outcome:
    """What the handler made of one text."""

    handled: bool
    answer: str
    intent: str | None = None
    publishes: list[Publish] = field(default_factory=list)


class IntentHandler:
    """Recognizes text against the hub's sentences and carries the intent out over MQTT."""

    def __init__(
        self,
        registry: EntityRegistry,
        publish: Callable[[str, str], bool],
        now: Callable[[], datetime] = datetime.now,
        timers: Timers | None = None,
    ) -> None:
        self._registry = registry
        self._publish = publish
        self._now = now
        self.timers = timers or Timers()
        self._intents = Intents.from_dict(yaml.safe_load(SENTENCES.read_text(encoding="utf-8")))
        self._lists: dict[str, Any] = {}
        self._lists_version = -1

    def _slot_lists(self) -> dict[str, Any]:
        if self._lists_version != self._registry.version:
            entities = list(self._registry.entities.values())
            lists: dict[str, Any] = {}
            for list_name, wanted in ENTITY_LISTS.items():
                # a name -> (entities called that, entities called that plus their area)
                full: dict[str, list[str]] = defaultdict(list)
                short: dict[str, list[str]] = defaultdict(list)
                for entity in entities:
                    if wanted(entity.platform):
                        for name in entity.names:
                            full[name.lower()].append(entity.key)
                        for name in _without_area(entity):
                            short[name].append(entity.key)
                lists[list_name] = TextSlotList.from_tuples(
                    [
                        (name, (tuple(full.get(name, ())), tuple(short.get(name, ()))))
                        for name in {**full, **short}
                    ],
                    name=list_name,
                )
            areas = {e.area for e in entities if e.area}
            lists["area"] = TextSlotList.from_tuples([(a.lower(), a) for a in areas], name="area")
            self._lists, self._lists_version = lists, self._registry.version
        return self._lists

    def handle(self, text: str, device_id: str | None = None) -> Outcome:
        """Recognize `text` and act on it; never raises for what people say.

        `device_id` is the satellite that heard it: its timers are its own.
        """
        return self.carry_out(self.understand(text, device_id))

    def understand(self, text: str, device_id: str | None = None) -> Plan:
        """What `text` asks for and what to answer, with nothing done yet."""
        result = recognize(
            text, self._intents, slot_lists=self._slot_lists(), skip_words=SKIP_WORDS
        )
        if result is None:
            return Plan(False, NOT_UNDERSTOOD)
        intent = result.intent.name
        try:
            return self._plan(intent, result, device_id)
        except ActionRefused as refusal:
            return Plan(True, str(refusal), intent)

    def carry_out(self, plan: Plan) -> Outcome:
        """Do what `plan` says: publish its commands (or run its timer change)."""
        if plan.deferred is not None:
            try:
                return Outcome(True, plan.deferred(), plan.intent)
            except ActionRefused as refusal:
                return Outcome(True, str(refusal), plan.intent)
        for message in plan.publishes:
            if not self._publish(message.topic, message.payload):
                return Outcome(True, NO_BROKER, plan.intent)
        return Outcome(plan.handled, plan.answer, plan.intent, list(plan.publishes))

    def _plan(self, intent: str, result: RecognizeResult, device_id: str | None) -> Plan:
        slots = {name: slot.value for name, slot in result.entities.items()}
        spoken = {name: slot.text.strip() for name, slot in result.entities.items()}
        if intent == "GetTime":
            return Plan(True, f"It's {self._now().strftime('%-I:%M %p')}.", intent)
        if intent == "GetDate":
            return Plan(True, f"Today is {self._now().strftime('%A, %B %-d')}.", intent)
        if intent == "Cancel":
            return Plan(True, "OK.", intent)
        if intent in TIMER_INTENTS:
            return Plan(True, "", intent, deferred=lambda: self._timer(intent, slots, device_id))
        answer, publishes = self._action(intent, slots, spoken)
        return Plan(True, answer, intent, tuple(publishes))

    def _action(
        self, intent: str, slots: dict[str, Any], spoken: dict[str, str]
    ) -> tuple[str, list[Publish]]:
        if intent in ("TurnOn", "TurnOff") and "platform" in slots:
            return self._area_lights(slots["area"], on=intent == "TurnOn")
        if intent == "SetTemperature" and "area" in slots and "climate" not in slots:
            entity = self._one_in_area(slots["area"], "climate")
        else:
            entity = self._one(slots, spoken)
        return self._act(intent, entity, slots)

    def _act(self, intent: str, entity: Entity, slots: dict[str, Any]) -> tuple[str, list[Publish]]:
        if intent == "QueryState":
            return describe(entity), []
        if intent not in INTENT_ACTIONS:
            raise ActionRefused(NOT_UNDERSTOOD)
        action, slot, answer = INTENT_ACTIONS[intent]
        value = slots.get(slot) if slot else None
        shown = f"{value:g}" if isinstance(value, int | float) else value
        return answer.format(name=entity.name, value=shown), [ACTIONS[action](entity, value)]

    def _timer(self, intent: str, slots: dict[str, Any], device_id: str | None) -> str:
        if intent == "StartTimer":
            try:
                timer = self.timers.start(_seconds(slots), owner=device_id)
            except ValueError as err:
                raise ActionRefused(f"I can't set that timer: {err}.") from err
            return f"Timer set for {spoken_duration(timer.total_s)}."
        if intent == "CancelTimer":
            cancelled = self.timers.cancel_all(device_id)
            if not cancelled:
                return NO_TIMER
            return (
                "Timer cancelled." if len(cancelled) == 1 else f"Cancelled {len(cancelled)} timers."
            )
        running = self.timers.running(device_id)
        if not running:
            return NO_TIMER
        if intent == "PauseTimer":
            paused = self.timers.pause(device_id)
            return _counted(paused, "Timer paused.", "Paused {} timers.", "The timer is paused.")
        if intent == "ResumeTimer":
            resumed = self.timers.resume(device_id)
            return _counted(
                resumed, "Timer resumed.", "Resumed {} timers.", "The timer is running."
            )
        if intent in ("IncreaseTimer", "DecreaseTimer"):
            return self._adjust_timer(
                running, _seconds(slots) * (1 if intent == "IncreaseTimer" else -1)
            )
        left = [
            spoken_duration(seconds) + ("" if timer.active else " (paused)")
            for timer, seconds in running
        ]
        if len(left) == 1:
            return f"{left[0]} left."
        return f"{len(left)} timers: {', '.join(left)} left."

    def _adjust_timer(self, running: list[tuple[Timer, float]], seconds: float) -> str:
        if len(running) > 1:
            raise ActionRefused(
                f"There are {len(running)} timers: cancel the ones you don't need, then ask again."
            )
        try:
            left = self.timers.adjust(running[0][0], seconds)
        except ValueError as err:
            raise ActionRefused(f"I can't change that timer: {err}.") from err
        if left <= 0:
            return "That was all the time left: the timer is done."
        return f"Timer changed: {spoken_duration(left)} left."

    def _one(self, slots: dict[str, Any], spoken: dict[str, str]) -> Entity:
        """The entity named in the slots. A name without its area ("lamp" for the Bedroom
        Lamp) counts when no entity is called just that, or when the area is said too."""
        list_name = next(k for k in slots if k in ENTITY_LISTS)
        full_keys, short_keys = slots[list_name]
        known = self._registry.entities
        full = [known[k] for k in full_keys if k in known]
        short = [known[k] for k in short_keys if k in known]
        word = spoken.get(list_name) or list_name
        if "area" in slots:
            area = slots["area"]
            either = {e.key: e for e in full + short}.values()
            entities = [e for e in either if e.area == area] or full
            if not entities and short:
                raise ActionRefused(f"There is no {word} in the {area}.")
        else:
            entities = full or short
        if not entities:
            raise ActionRefused(NOT_UNDERSTOOD)
        if len(entities) > 1:
            where = " or ".join(f"the one in the {e.area}" if e.area else e.key for e in entities)
            same = all(e.name == entities[0].name for e in entities)
            raise ActionRefused(
                f"There is more than one {entities[0].name if same else word}: {where}?"
            )
        return entities[0]

    def _one_in_area(self, area: str, platform: str) -> Entity:
        found = [
            e for e in self._registry.entities.values() if e.area == area and e.platform == platform
        ]
        if len(found) != 1:
            thing = "thermostat" if platform == "climate" else platform
            count = "no" if not found else "more than one"
            raise ActionRefused(f"There is {count} {thing} in the {area}.")
        return found[0]

    def _area_lights(self, area: str, on: bool) -> tuple[str, list[Publish]]:
        lights = [
            e for e in self._registry.entities.values() if e.area == area and e.platform == "light"
        ]
        if not lights:
            raise ActionRefused(f"There are no lights in the {area}.")
        publishes = [turn(light, on) for light in lights]
        count = "the light" if len(lights) == 1 else f"{len(lights)} lights"
        return f"Turned {'on' if on else 'off'} {count} in the {area}.", publishes


def _seconds(slots: dict[str, Any]) -> float:
    """The <duration> in the slots, in seconds."""
    return sum(
        float(slots.get(unit, 0)) * factor
        for unit, factor in (("hours", 3600), ("minutes", 60), ("seconds", 1))
    )


def _counted(changed: list[Timer], one: str, several: str, none: str) -> str:
    if not changed:
        return none
    return one if len(changed) == 1 else several.format(len(changed))


def _without_area(entity: Entity) -> set[str]:
    """Its names with the area left out: "lamp" for the Bedroom Lamp in the Bedroom."""
    if not entity.area:
        return set()
    area = entity.area.lower()
    shorter: set[str] = set()
    for name in (n.lower() for n in entity.names):
        if name.startswith(f"{area} "):
            shorter.add(name[len(area) + 1 :].strip())
        elif name.endswith(f" {area}"):
            shorter.add(name[: -len(area) - 1].strip())
    return {name for name in shorter if name}
