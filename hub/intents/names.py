"""How people name the home's things: the slot lists the grammar matches, built from the
registry, and which entities a matched word stands for (pure; no I/O).

A word reaches an entity in one of three tiers, tried in order, the first that has any wins:

- its **name** (or an alias) as discovery gives it, or its plural ("the kitchen lights" for the
  Kitchen light), or the singular of a plural name ("the bedroom blind" for Bedroom blinds);
- its name **without its area** ("lamp" for the Bedroom Lamp in the Bedroom): with an area said
  or known from where it was said, only the ones there count;
- its name's **distinctive part**, the name without its last word ("garage" for the Garage door),
  kept only where it names no other entity and, where it is also an area's name, every such
  entity in that area has it.

A word that stands for a kind of thing ("light", "lights", "fan", "blinds", "thermostat") is never
a name-without-area or a part: the grammar reads it as every such thing in the area said, or in
the area the request came from. Several entities for one word is a question back, never a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from hassil import TextSlotList

from .actions import COVERS, SWITCHABLE, ActionRefused
from .registry import Entity, EntityRegistry

NOT_UNDERSTOOD = "Sorry, I didn't understand that."

# list name -> which platforms an entity must have to be in it
ENTITY_LISTS: dict[str, Callable[[str], bool]] = {
    "name": lambda platform: True,
    "switchable": lambda platform: platform in SWITCHABLE,
    "light": lambda platform: platform == "light",
    "cover": lambda platform: platform in COVERS,
    "lock": lambda platform: platform == "lock",
    "climate": lambda platform: platform == "climate",
}


@dataclass(frozen=True)
class Kind:
    """A kind of thing people say instead of a name: "the lights", "the blinds"."""

    one: str
    many: str
    words: tuple[str, ...]  # what people say for it (the slot list's words)
    list_name: str | None  # the grammar's list of these words (None: the sentences say them)
    platforms: frozenset[str]
    by_name: bool = False  # only those of this device class, or with the word in their name

    def has(self, entity: Entity) -> bool:
        """`entity` is one of these."""
        if entity.platform not in self.platforms:
            return False
        if not self.by_name:
            return True
        return entity.option("device_class") == self.one or self.named(entity)

    def named(self, entity: Entity) -> bool:
        """The word is in its name ("Bedside lamp" for a lamp)."""
        said = {word for name in entity.names for word in name.lower().split()}
        return not said.isdisjoint(self.words)


KINDS: dict[str, Kind] = {
    kind.one: kind
    for kind in (
        Kind("light", "lights", ("light", "lights", "lighting"), "switch_kind",
             frozenset({"light"})),
        Kind("lamp", "lamps", ("lamp", "lamps"), "switch_kind", frozenset({"light"}), True),
        Kind("fan", "fans", ("fan", "fans"), "switch_kind", frozenset({"fan"})),
        Kind("blind", "blinds", ("blind", "blinds"), "cover_kind", COVERS, True),
        Kind("curtain", "curtains", ("curtain", "curtains", "drapes"), "cover_kind", COVERS, True),
        Kind("shade", "shades", ("shade", "shades"), "cover_kind", COVERS, True),
        Kind("shutter", "shutters", ("shutter", "shutters"), "cover_kind", COVERS, True),
        Kind("thermostat", "thermostats", ("thermostat", "thermostats", "heating"), None,
             frozenset({"climate"})),
    )
}  # fmt: skip
# "lamp" reads as a kind only where no entity is called that: lamps are things people name.
KIND_WORDS = frozenset(w for k in KINDS.values() for w in k.words) - {"lamp", "lamps"}
# never a name's part or its name without the area: the grammar's own words
GRAMMAR_WORDS = frozenset(
    {"the", "my", "our", "a", "an", "all", "on", "off", "in", "of", "to", "up", "down", "out"}
)
SINGULAR = {k.many: k.one for k in KINDS.values()}


class NothingThere(ActionRefused):
    """The name said is not in the area said ("the study lamp"): a misheard name may fit."""


class Named(NamedTuple):
    """The entity keys a word stands for, by tier."""

    full: tuple[str, ...]
    short: tuple[str, ...]
    part: tuple[str, ...]


def plural(name: str) -> str | None:
    """ "kitchen light" -> "kitchen lights"; None when the last word already ends in s."""
    head, _, last = name.rpartition(" ")
    if not last or last.endswith("s") or not last.isalpha():
        return None
    if last.endswith(("x", "z", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def _other_number(name: str) -> str | None:
    """The plural of a name, or the singular of one that ends in a kind's plural."""
    head, _, last = name.rpartition(" ")
    if last in SINGULAR:
        return f"{head} {SINGULAR[last]}" if head else SINGULAR[last]
    return plural(name)


def without_area(entity: Entity) -> set[str]:
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


def _parts(entity: Entity) -> set[str]:
    """Its names without their last word: "garage" for the Garage door."""
    return {
        name.lower().rsplit(" ", 1)[0].strip()
        for name in entity.names
        if len(name.split()) > 1 and name.split()[-1].isalpha()
    }


def same_area(a: str | None, b: str | None) -> bool:
    """Area names compare without case (a satellite says "bedroom", discovery "Bedroom")."""
    return a is not None and b is not None and a.casefold() == b.casefold()


def _joined(items: list[str]) -> str:
    """The items as "a, b or c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _with_variants(names: Iterable[str]) -> dict[str, bool]:
    """name -> True for the names themselves, False for their plural (or singular)."""
    found: dict[str, bool] = {}
    for name in names:
        found[name] = True
    for name in list(found):
        other = _other_number(name)
        if other is not None and other not in found:
            found[other] = False
    return found


class HomeNames:
    """The registry's names as slot lists (rebuilt when it changes), and the entities a matched
    word, kind or area stands for."""

    def __init__(self, registry: EntityRegistry) -> None:
        self._registry = registry
        self._lists: dict[str, Any] = {}
        self._version = -1

    def slot_lists(self) -> dict[str, Any]:
        """The lists for hassil: one per ENTITY_LISTS entry, `area`, and the kinds' words."""
        if self._version != self._registry.version:
            self._lists, self._version = self._build(), self._registry.version
        return self._lists

    def _build(self) -> dict[str, Any]:
        entities = list(self._registry.entities.values())
        areas = {e.area for e in entities if e.area}
        # "kitchen lights" is the kitchen's lights, never the plural of one of them
        area_kinds = {f"{a.lower()} {w}" for a in areas for w in KIND_WORDS}
        exact: dict[str, set[str]] = defaultdict(set)  # home-wide: a name -> who has it
        shorts: dict[str, set[str]] = defaultdict(set)
        for entity in entities:
            for name in entity.names:
                exact[name.lower()].add(entity.key)
            for name in without_area(entity):
                shorts[name].add(entity.key)
        said_names = set(exact) | set(shorts)
        said_names |= {v for n in list(said_names) if (v := _other_number(n)) is not None}
        lists: dict[str, Any] = {}
        for list_name, wanted in ENTITY_LISTS.items():
            members = [e for e in entities if wanted(e.platform)]
            keys = {e.key for e in members}
            full: dict[str, list[str]] = defaultdict(list)
            variant: dict[str, list[str]] = defaultdict(list)
            short: dict[str, list[str]] = defaultdict(list)
            part: dict[str, list[str]] = defaultdict(list)
            for entity in members:
                for name, own in _with_variants(n.lower() for n in entity.names).items():
                    if own:
                        full[name].append(entity.key)
                    elif name not in exact and name not in area_kinds:
                        variant[name].append(entity.key)
                for name in _with_variants(without_area(entity)):
                    if _word_for_a_name(name) and not (exact.get(name, keys) - keys):
                        short[name].append(entity.key)
                for name in _parts(entity):
                    if _word_for_a_name(name) and name not in said_names:
                        part[name].append(entity.key)
            for name, owners in list(part.items()):
                area = next((a for a in areas if a.lower() == name), None)
                if area is not None and any(
                    same_area(e.area, area) and e.key not in owners for e in members
                ):
                    del part[name]  # "the garage" is not the one thing in the garage
            values = [
                (
                    name,
                    Named(
                        tuple(full.get(name, []) or variant.get(name, [])),
                        tuple(short.get(name, ())),
                        tuple(part.get(name, ())),
                    ),
                )
                for name in {**full, **variant, **short, **part}
            ]
            lists[list_name] = TextSlotList.from_tuples(
                values, allow_template=False, name=list_name
            )
        lists["area"] = TextSlotList.from_tuples(
            [(a.lower(), a) for a in areas], allow_template=False, name="area"
        )
        for list_name in {k.list_name for k in KINDS.values() if k.list_name}:
            kinds = [k for k in KINDS.values() if k.list_name == list_name]
            words = [(word, kind.one) for kind in kinds for word in kind.words]
            lists[list_name] = TextSlotList.from_tuples(words, allow_template=False, name=list_name)
        return lists

    # ---- what a matched word stands for -------------------------------------------------------

    def one(self, slots: dict[str, Any], spoken: dict[str, str], here: str | None) -> Entity:
        """The entity named in the slots (`here`: the area the request came from).

        A name said counts wherever its entity is; a name without its area counts in the area
        said, else in `here`, else when no other entity's name ends in it; a part counts when
        it is unique.
        """
        list_name = next(k for k in slots if k in ENTITY_LISTS)
        named: Named = slots[list_name]
        known = self._registry.entities
        full, short, part = (
            [known[k] for k in keys if k in known] for keys in (named.full, named.short, named.part)
        )
        word = spoken.get(list_name) or list_name
        if "area" in slots:
            area = slots["area"]
            either = {e.key: e for e in full + short + part}.values()
            entities = [e for e in either if same_area(e.area, area)] or full
            if not entities and (short or part):
                raise NothingThere(f"There {_is(word)} no {word} in the {area}.")
        elif full:
            entities = [e for e in full if same_area(e.area, here)] if len(full) > 1 else []
            entities = entities or full
        elif short and here is not None:
            entities = [e for e in short if same_area(e.area, here)]
            if not entities:
                raise ActionRefused(f"There {_is(word)} no {word} in the {self.area_name(here)}.")
        elif short:
            entities = short + self._also_called(word, short)  # "the door": which one?
        else:
            entities = part
        if not entities:
            raise ActionRefused(NOT_UNDERSTOOD)
        if len(entities) > 1:
            raise ActionRefused(_which(entities, word))
        return entities[0]

    def _also_called(self, word: str, these: list[Entity]) -> list[Entity]:
        """Other entities whose name ends in `word` ("the door" for the Front door too)."""
        word, keys = word.lower(), {e.key for e in these}
        return [
            e
            for e in self._registry.entities.values()
            if e.key not in keys
            and any(n.lower() == word or n.lower().endswith(f" {word}") for n in e.names)
        ]

    def of_kind(
        self, kind_name: str, area: str | None, here: str | None, everywhere: bool = False
    ) -> tuple[list[Entity], str | None]:
        """Every `kind` in the area said, else in `here`; with no area, everywhere when asked
        for, else the only one there is (several: a question back). Also the area they are in."""
        kind = KINDS[kind_name]
        found = sorted((e for e in self._registry.entities.values() if kind.has(e)), key=_in_order)
        if everywhere:
            if not found:
                raise ActionRefused(f"There are no {kind.many} I can control.")
            return found, None
        where = area or here
        if where is not None:
            there = [e for e in found if same_area(e.area, where)]
            if not there:
                raise ActionRefused(f"There are no {kind.many} in the {self.area_name(where)}.")
            return there, self.area_name(where)
        if len(found) == 1:
            return found, None
        if not found:
            raise ActionRefused(f"There are no {kind.many} I can control.")
        rooms = sorted({e.area for e in found if e.area})
        if len(rooms) > 1 and all(e.area for e in found):
            raise ActionRefused(f"Which {kind.one}? In {_joined([f'the {r}' for r in rooms])}?")
        if len(found) <= 4:
            raise ActionRefused(f"Which {kind.one}: {_joined([f'the {e.name}' for e in found])}?")
        raise ActionRefused(f"Which {kind.one}? Say its name or the room.")

    def thermometers(self, area: str | None) -> list[Entity]:
        """The temperature sensors in `area` (none without one)."""
        if area is None:
            return []
        return sorted(
            (
                e
                for e in self._registry.entities.values()
                if e.platform == "sensor"
                and same_area(e.area, area)
                and (
                    e.option("device_class") == "temperature"
                    or e.option("unit_of_measurement") in ("°C", "°F", "K")
                )
            ),
            key=_in_order,
        )

    def area_name(self, area: str) -> str:
        """The registry's spelling of an area ("Bedroom" for a satellite's "bedroom")."""
        known = (e.area for e in self._registry.entities.values() if e.area)
        return next((a for a in known if same_area(a, area)), area)


def _is(word: str) -> str:
    return "are" if word.endswith("s") else "is"


def _in_order(entity: Entity) -> tuple[str, str, str]:
    """By area, then name: the same order whatever order discovery came in."""
    return (entity.area or "", entity.name.lower(), entity.key)


def _word_for_a_name(name: str) -> bool:
    return bool(name) and name not in KIND_WORDS and name not in GRAMMAR_WORDS


def _which(entities: list[Entity], word: str) -> str:
    """The question back for a word that stands for several entities."""
    entities = sorted(entities, key=_in_order)
    same = all(e.name == entities[0].name for e in entities)
    areas = [e.area for e in entities]
    if all(areas) and len(set(areas)) == len(areas):
        where = " or ".join(f"the one in the {area}" for area in areas)
    elif not same:
        where = " or ".join(f"the {e.name}" for e in entities)
    else:
        where = " or ".join(f"the one in the {e.area}" if e.area else e.key for e in entities)
    return f"There is more than one {entities[0].name if same else word}: {where}?"
