"""Local intents: text → a recognized intent → MQTT publishes and a spoken answer.

Sentences come from `sentences.yaml` (hassil); the entity, area and kind lists are built from
the registry (`names.py`). An unknown name matches nothing, and an ambiguous one gets a question
back: neither ever publishes. The area a request came from (a satellite's room) stands in for an
area not said: "turn on the light" there is its lights.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from hassil import Intents, RecognizeResult, TextSlotList, recognize

from .actions import ACTIONS, ActionRefused, Publish, describe, stepped_brightness
from .matcher import (
    TEMPLATE_SYNTAX,
    Hypothesis,
    Vocabulary,
    hypotheses,
    keeps_polarity_and_numbers,
    respelled_number,
    similarity,
    words_of,
)
from .names import KINDS, NOT_UNDERSTOOD, HomeNames, NothingThere, without_area
from .registry import Entity, EntityRegistry
from .timers import Timer, Timers, spoken_duration

_LOGGER = logging.getLogger(__name__)

SENTENCES = Path(__file__).with_name("sentences.yaml")
RULE_REFERENCE = re.compile(r"<([^>]+)>")
SKIP_WORDS = [
    "please", "can you", "could you", "would you", "will you", "hey", "ok", "okay", "kindly",
    "thanks", "thank you", "for me",
]  # fmt: skip
NO_TIMER = "There is no timer running."
NO_BROKER = "I can't reach your devices right now: the MQTT broker is not connected."
MAX_ALTERNATIVES = 10  # Whisper's next best transcripts read at most (stt.alternatives: 0..10)
ACCEPT = 0.8  # a corrected transcript this sure is acted on (when no other command is as close)
ASK = 0.6  # … this sure gets a question back; less is not understood
MARGIN = 0.06  # two different commands this close get a question back, not an action
MAX_TRIES = 32  # corrected sentences the grammar is asked about, per transcript
PENDING_S = 30.0  # how long an asked-back question waits for its answer
YES = frozenset({"yes", "yeah", "yep", "sure", "correct", "right", "do it", "yes please", "ok"})
NO = frozenset({"no", "nope", "neither", "no thanks", "none", "cancel", "never mind"})

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


STEPPED = {"up": "Brightened the {name}", "down": "Dimmed the {name}"}


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
    refused: bool = False  # understood, but it cannot be done ("There is no lamp in …")
    heard_as: str | None = None  # the corrected sentence, when the transcript was misheard
    confidence: float = 1.0
    device_id: str | None = None
    offers: tuple[str, ...] = ()  # the sentences a question back offers to choose from
    missing: bool = False  # refused: the name said is not in the area said ("the study lamp")

    @property
    def complete(self) -> bool:
        """The text was, as heard, a whole sentence of the grammar that can be answered without
        a question: what the end-pointer may end a command on early. A corrected transcript or
        a question back ("Which light?") waits for the whole silence window: the rest of the
        sentence may still come ("turn on the light … in the kitchen")."""
        return self.intent is not None and self.heard_as is None and not self.answer.endswith("?")


@dataclass(frozen=True)
class Outcome:
    """What the handler made of one text."""

    handled: bool
    answer: str
    intent: str | None = None
    publishes: list[Publish] = field(default_factory=list)
    heard_as: str | None = None  # the corrected sentence, when the transcript was misheard


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
        self._names = HomeNames(registry)
        self._grammar_words, self._start_words = _grammar_words(self._intents)
        self._vocabulary = Vocabulary((), ())
        self._vocabulary_version = -1
        self._pending: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._prompt, self._prompt_version = "", -1
        self._clock = time.monotonic

    def _slot_lists(self) -> dict[str, Any]:
        return self._names.slot_lists()

    def handle(self, text: str, device_id: str | None = None, area: str | None = None) -> Outcome:
        """Recognize `text` and act on it; never raises for what people say.

        `device_id` is the satellite that heard it: its timers are its own. `area` is the room
        it was said in: what the text does not name is looked for there.
        """
        return self.carry_out(self.understand(text, device_id, area))

    def understand(
        self,
        text: str,
        device_id: str | None = None,
        area: str | None = None,
        doubted: Sequence[str] = (),
        first_reading: str = "",
    ) -> Plan:
        """What `text` asks for and what to answer, with nothing done yet.

        The grammar first; then the answer to a question asked back; then what a misheard
        transcript most likely meant (`matcher.py`), acted on only when it is sure and no other
        command is as close, else asked back. `area`: the room it was said in. `doubted`: the
        transcript with a word the recognizer was unsure of swapped for the one it nearly
        wrote; where that is itself a command of the grammar that does something else ("turn
        off" for "turn on", "15%" for "50%", "lights" for "light"), the command is asked back,
        not acted on. A number in words for one in digits ("twenty" for "22") does not count.
        `first_reading`: another transcript of the same audio (the short-window decode that a
        full-window one replaced); understood as it would be on its own, when it does
        something else the command is asked back too ("turn off" against "turn on").
        """
        plan = self._understood(text, device_id, area, replies=True)
        if not (plan.publishes or plan.deferred is not None) or not _acts(plan):
            return plan
        if first_reading:
            other = self._understood(first_reading, device_id, area, replies=False)
            if _acts(other) and _effect(other) != _effect(plan):
                return self._both(text, plan, other.heard_as or first_reading, device_id)
        if doubted:
            return self._doubted(text, plan, doubted, device_id, area) or plan
        return plan

    def _both(self, text: str, plan: Plan, other: str, device_id: str | None) -> Plan:
        """The question back offering `plan` (heard in `text`) and the `other` reading."""
        said, meant = plan.heard_as or " ".join(words_of(text)), " ".join(words_of(other))
        best = Hypothesis(said, plan.confidence)
        return self._question(f"Did you mean: {said}, or {meant}?", (said, meant), best, device_id)

    def _doubted(
        self,
        text: str,
        plan: Plan,
        doubted: Sequence[str],
        device_id: str | None,
        area: str | None,
    ) -> Plan | None:
        """The question back when a doubted word may have asked for something else than
        `plan`: a rival read as it is by the grammar (a corrected one is a guess on a guess)."""
        for other in doubted[:MAX_ALTERNATIVES]:
            if respelled_number(text, other):
                continue
            rival = self._recognized(other, device_id, area)
            if rival is not None and _acts(rival) and _effect(rival) != _effect(plan):
                return self._both(text, plan, other, device_id)
        return None

    def _understood(
        self, text: str, device_id: str | None, area: str | None, replies: bool
    ) -> Plan:
        """`understand`; with `replies` False, `text` is never taken as the answer to a
        question asked back (a guess at what was said must not say "yes")."""
        recognized = self._recognized(text, device_id, area)
        if recognized is not None and not recognized.missing:
            return recognized
        return (  # "turn on the study lamp" with none there: a misheard "study light"?
            (self._answered(text, device_id, area) if replies else None)
            or self._matched(text, device_id, area)
            or recognized
            or Plan(False, NOT_UNDERSTOOD, device_id=device_id)
        )

    def understand_alternatives(
        self,
        heard: str,
        alternatives: Sequence[str],
        device_id: str | None = None,
        area: str | None = None,
    ) -> Plan | None:
        """What Whisper's next best transcripts of a command that `understand` could not make
        out ask for (`stt.alternatives`, the best first), or None when none is understood.

        The first one understood is acted on when it keeps the on/off words and the numbers
        of what was heard ("turn off the candle" → "turn off the kettle"), says a name or an
        area of its own and no other one understood does something else. One that adds or
        changes them ("kitchen light" → "kitchen light on", "18.5" → "8.5"), leaves what it
        acts on to the room it was said in ("lower the light": a guess on a guess), or
        disagrees with another is asked back."""
        found: list[tuple[str, Plan]] = []
        for text in alternatives[:MAX_ALTERNATIVES]:
            plan = self._understood(text, device_id, area, replies=False)
            if _acts(plan):
                found.append((plan.heard_as or " ".join(words_of(text)), plan))
        if not found:
            return None
        said, plan = found[0]
        best = Hypothesis(said, plan.confidence)
        rivals = [other for other, p in found[1:] if _effect(p) != _effect(plan)]
        if rivals:
            offers = (said, rivals[0])
            return self._question(f"Did you mean: {said}, or {rivals[0]}?", offers, best, device_id)
        named = self._home_vocabulary().telling.intersection(words_of(said))
        if not named or not keeps_polarity_and_numbers(heard, said):
            return self._question(f"Did you mean: {said}?", (said,), best, device_id)
        return replace(plan, heard_as=said)

    def _recognized(self, text: str, device_id: str | None, area: str | None = None) -> Plan | None:
        result = recognize(
            text, self._intents, slot_lists=self._slot_lists(), skip_words=SKIP_WORDS
        )
        if result is None:
            return None
        intent = result.intent.name
        try:
            return replace(self._plan(intent, result, device_id, area), device_id=device_id)
        except NothingThere as refusal:
            return Plan(True, str(refusal), intent, refused=True, device_id=device_id, missing=True)
        except ActionRefused as refusal:
            return Plan(True, str(refusal), intent, refused=True, device_id=device_id)

    def _answered(self, text: str, device_id: str | None, area: str | None) -> Plan | None:
        """The reply to a question asked back on this device: yes, no, or one of its offers."""
        asked, offers = self._pending.get(device_id or "", (0.0, ()))
        if not offers or self._clock() - asked > PENDING_S:
            return None
        said = " ".join(words_of(text))
        if said in NO:
            return Plan(True, "OK.", "Cancel", device_id=device_id)
        chosen: str | None = offers[0] if said in YES and len(offers) == 1 else None
        if chosen is None and said:
            scores = sorted((similarity(said, _told_apart(o, offers)), o) for o in offers)
            best_score, best = scores[-1]
            if best_score >= ACCEPT and (len(scores) == 1 or scores[-2][0] < best_score - MARGIN):
                chosen = best
        if chosen is None:
            return None
        plan = self._recognized(chosen, device_id, area)
        return None if plan is None else replace(plan, heard_as=chosen)

    def _matched(self, text: str, device_id: str | None, area: str | None) -> Plan | None:
        """The command a misheard transcript most likely meant, or a question back."""
        found: list[tuple[Hypothesis, Plan]] = []
        asked = 0
        for hypothesis in hypotheses(text, self._home_vocabulary()):
            if asked >= MAX_TRIES:
                break
            if hypothesis.confidence < ASK:
                continue
            asked += 1
            plan = self._recognized(hypothesis.text, device_id, area)
            if plan is not None and not plan.missing:  # "no lamps there" tells nothing
                found.append((hypothesis, plan))
        if not found:
            return None
        # A window of words counts only when the whole transcript and its sentences gave nothing.
        found = [(h, p) for h, p in found if h.tier == found[0][0].tier]
        best, plan = found[0]
        if plan.refused:  # it sounds most like something that cannot be done: nothing moves
            return replace(plan, heard_as=best.text, confidence=best.confidence)
        rivals = [
            h
            for h, p in found[1:]
            if not p.refused
            and _effect(p) != _effect(plan)
            and h.confidence >= best.confidence - MARGIN
        ] + self._claimed(best, plan, device_id, area)
        if rivals:
            offers = (best.text, rivals[0].text)
            question = " or ".join(f"the {_told_apart(o, offers)}" for o in offers)
            return self._question(f"Did you mean {question}?", offers, best, device_id)
        if best.confidence < ACCEPT:
            return self._question(f"Did you mean: {best.text}?", (best.text,), best, device_id)
        return replace(plan, heard_as=best.text, confidence=best.confidence)

    def _claimed(
        self, best: Hypothesis, plan: Plan, device_id: str | None, area: str | None
    ) -> list[Hypothesis]:
        """Other commands that a heard word the correction changed is the exact name of:
        "steady light" is as much the Steady lamp ("steady" as said) as the Study light."""
        vocabulary = self._home_vocabulary()
        claimed: list[Hypothesis] = []
        for change in best.changes:
            meant = change.meant.split()
            for word in (w for w in change.heard.split() if w not in meant):
                for name in vocabulary.names_with(word):
                    if name == change.meant or f" {change.meant} " not in f" {best.text} ":
                        continue
                    text = f" {best.text} ".replace(f" {change.meant} ", f" {name} ", 1).strip()
                    other = self._recognized(text, device_id, area)
                    if other is not None and not other.refused and _effect(other) != _effect(plan):
                        claimed.append(Hypothesis(text, best.confidence, best.changes))
        return claimed

    @staticmethod
    def _question(
        question: str, offers: tuple[str, ...], best: Hypothesis, device_id: str | None
    ) -> Plan:
        return Plan(
            True,
            question,
            "AskBack",
            heard_as=best.text,
            confidence=best.confidence,
            device_id=device_id,
            offers=offers,
        )

    def vocabulary_prompt(self) -> str:
        """The home's names and areas as a prompt for Whisper ("Study light. Ecobee ….").

        Whisper writes the way its prompt is written: a list with commas made it end a command
        with a comma and go on with the TV's talk in the same sentence ("Switch the office fan
        off, coming up after the break"), and list more names after it; one name per sentence
        keeps the command a sentence of its own, which the matcher can find."""
        if self._prompt_version != self._registry.version:
            names: dict[str, None] = {}
            for entity in sorted(self._registry.entities.values(), key=lambda e: e.name):
                names.update(dict.fromkeys(entity.names))
                if entity.area:
                    names[entity.area] = None
            self._prompt = "".join(f"{name}. " for name in names).strip()
            self._prompt_version = self._registry.version
        return self._prompt

    def _home_vocabulary(self) -> Vocabulary:
        if self._vocabulary_version != self._registry.version:
            names: set[str] = set()
            for entity in self._registry.entities.values():
                names.update(n.lower() for n in entity.names)
                names.update(without_area(entity))
                if entity.area:
                    names.add(entity.area.lower())
            starts = self._start_words | {n.split()[0] for n in names if n.split()}
            self._vocabulary = Vocabulary(names, self._grammar_words, starts)
            self._vocabulary_version = self._registry.version
        return self._vocabulary

    def carry_out(self, plan: Plan) -> Outcome:
        """Do what `plan` says: publish its commands (or run its timer change)."""
        self._pending.pop(plan.device_id or "", None)
        if plan.offers:
            self._pending[plan.device_id or ""] = (self._clock(), plan.offers)
        if plan.deferred is not None:
            try:
                return Outcome(True, plan.deferred(), plan.intent)
            except ActionRefused as refusal:
                return Outcome(True, str(refusal), plan.intent)
        for message in plan.publishes:
            if not self._publish(message.topic, message.payload):
                return Outcome(True, NO_BROKER, plan.intent)
        return Outcome(plan.handled, plan.answer, plan.intent, list(plan.publishes), plan.heard_as)

    def _plan(
        self, intent: str, result: RecognizeResult, device_id: str | None, here: str | None
    ) -> Plan:
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
        answer, publishes = self._action(intent, slots, spoken, here)
        return Plan(True, answer, intent, tuple(publishes))

    def _action(
        self, intent: str, slots: dict[str, Any], spoken: dict[str, str], here: str | None
    ) -> tuple[str, list[Publish]]:
        if "kind" in slots:
            return self._kind_action(intent, slots, here)
        return self._act(intent, self._names.one(slots, spoken, here), slots)

    def _act(self, intent: str, entity: Entity, slots: dict[str, Any]) -> tuple[str, list[Publish]]:
        if intent == "QueryState":
            return describe(entity), []
        if intent not in INTENT_ACTIONS:
            raise ActionRefused(NOT_UNDERSTOOD)
        action, slot, answer = INTENT_ACTIONS[intent]
        value = _value(entity, slots, slot)
        if "step" in slots:
            answer = STEPPED[slots["step"]] + " to {value} percent."
        shown = f"{value:g}" if isinstance(value, int | float) else value
        return answer.format(name=entity.name, value=shown), [ACTIONS[action](entity, value)]

    def _kind_action(
        self, intent: str, slots: dict[str, Any], here: str | None
    ) -> tuple[str, list[Publish]]:
        """ "the lights", "the blinds", "the temperature": every one in the area said or in
        `here` (a thermostat: the one); an answer for each that cannot do it."""
        kind = KINDS[slots["kind"]]
        try:
            targets, area = self._names.of_kind(
                kind.one, slots.get("area"), here, bool(slots.get("everywhere"))
            )
        except ActionRefused:
            if intent != "QueryState" or kind.one != "thermostat":
                raise
            # "what's the temperature outside": no thermostat there, but a thermometer
            targets = self._names.thermometers(slots.get("area") or here)
            if not targets:
                raise
        if intent == "QueryState":
            return " ".join(describe(entity) for entity in targets), []
        if kind.one == "thermostat" and len(targets) > 1:
            raise ActionRefused(f"There is more than one thermostat in the {area}.")
        if len(targets) == 1 and (area is None or kind.one == "thermostat"):
            return self._act(intent, targets[0], slots)
        if intent not in INTENT_ACTIONS:
            raise ActionRefused(NOT_UNDERSTOOD)
        action, slot, answer = INTENT_ACTIONS[intent]
        publishes: list[Publish] = []
        refusals: list[str] = []
        for entity in targets:
            try:
                publishes.append(ACTIONS[action](entity, _value(entity, slots, slot)))
            except ActionRefused as refusal:
                refusals.append(str(refusal))
        if not publishes:
            raise ActionRefused(refusals[0])
        count = len(publishes)
        what = f"{kind.one if count == 1 else f'{count} {kind.many}'}"
        what += f" in the {area}" if area else ""
        if "step" in slots:
            answer = STEPPED[slots["step"]] + "."
        value = slots.get(slot) if slot else None
        shown = f"{value:g}" if isinstance(value, int | float) else value
        said = answer.format(name=what, value=shown)
        return " ".join([said, *refusals[:1]]), publishes

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


def _acts(plan: Plan) -> bool:
    """Whether carrying `plan` out would do something (not a question, refusal or nothing)."""
    return plan.handled and plan.intent not in (None, "AskBack") and not plan.refused


def _effect(plan: Plan) -> object:
    """What carrying `plan` out changes: its commands, or for a question its answer."""
    return (plan.intent, plan.publishes) if plan.publishes else (plan.intent, plan.answer)


def _told_apart(offer: str, offers: tuple[str, ...]) -> str:
    """The words of `offer` that the other offers do not share ("study light" of two commands
    that differ only in the name), or the whole offer."""
    others = [set(o.split()) for o in offers if o != offer]
    words = offer.split()
    common = set.intersection(*others) if others else set()
    kept = [w for w in words if w not in common]
    return " ".join(kept) if kept else offer


OPTIONAL_ENDING = re.compile(r"(\w+)\[(\w+)\]")


def _grammar_words(intents: Intents) -> tuple[set[str], set[str]]:
    """Every literal word of the templates and fixed lists, and the words sentences start with."""
    texts: list[str] = []
    starts: set[str] = set()
    rules = {name: rule.text or "" for name, rule in intents.expansion_rules.items()}
    for intent in intents.intents.values():
        for data in intent.data:
            for sentence in data.sentences:
                texts.append(sentence.text or "")
                starts.update(_first_words(_expanded(sentence.text or "", rules)))
    texts += [rule.text or "" for rule in intents.expansion_rules.values()]
    for slot_list in intents.slot_lists.values():
        if isinstance(slot_list, TextSlotList):
            texts += [getattr(value.text_in, "text", "") for value in slot_list.values]
    texts += SKIP_WORDS
    texts += [word for kind in KINDS.values() for word in kind.words]  # names.py's lists
    # "degree[s]" says "degree" and "degrees"
    texts = [OPTIONAL_ENDING.sub(r"\1 \1\2", text) for text in texts]
    words = {w for text in texts for w in words_of(TEMPLATE_SYNTAX.sub(" ", text))}
    starts.update(w.split()[0] for w in SKIP_WORDS)
    return words, starts


def _expanded(template: str, rules: dict[str, str], depth: int = 3) -> str:
    """`template` with its <rule> references replaced by their bodies ("<turn> on …" →
    "((turn|switch)) on …"), a few levels deep."""
    for _ in range(depth):
        template = RULE_REFERENCE.sub(lambda m: f"({rules.get(m.group(1), '')})", template)
    return template


def _first_words(template: str) -> set[str]:
    """The words a template's sentences can start with: "(turn|switch) on …" → turn, switch."""
    text = TEMPLATE_SYNTAX.sub(" ", template).strip()
    optional = text.startswith("[")
    text = text.lstrip("[(")
    head = text.split(")", 1)[0].split("]", 1)[0] if text[:1] != " " else text
    first = {words_of(alt)[0] for alt in head.split("|") if words_of(alt)}
    if optional:  # "[please] turn on …": what follows can start it too
        rest = text.split("]", 1)[1] if "]" in text else ""
        first |= _first_words(rest)
    return first


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


def _value(entity: Entity, slots: dict[str, Any], slot: str | None) -> Any:
    """The value the action takes: the slot's, or a brightness a step from the light's own."""
    if "step" in slots:
        return stepped_brightness(entity, up=slots["step"] == "up")
    return slots.get(slot) if slot else None
