"""Misheard commands matched to what this home accepts: names by how they sound, with a confidence.

Whisper transcribes open dictation; the hub knows which names and words its commands use. When
the grammar finds nothing in a transcript, `hypotheses` proposes corrected sentences: spans of
the transcript replaced by the home's names, areas and the grammar's words they sound like
("steady light" → "study light", "garbage door" → "garage door", "echo be thermostat" →
"ecobee thermostat"), and the command found inside longer speech (a TV, a second person: each
sentence of the transcript, then word windows that start where a command can start). Each
hypothesis has a confidence from how much had to change; the handler asks the grammar about
them in that order and decides whether to act, to ask back or to say it did not understand.

Pure and bounded: no I/O, a fixed budget of hypotheses per transcript.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

MAX_SPAN_WORDS = 4  # the longest run of heard words one name may replace
MIN_SIMILARITY = 0.72  # below this a span does not sound like the phrase
MIN_WORD_SIMILARITY = 0.8  # a grammar word ("dim", "close") needs to sound closer than a name
MAX_REPLACEMENTS = 12  # the best replacements kept per transcript
MAX_WINDOW_WORDS = 12  # a command found inside longer speech is at most this long
MIN_WINDOW_WORDS = 2
WINDOW_PENALTY = 0.02  # a command found inside longer speech is a little less sure
ONLY_ADDED = 0.5  # the confidence of a change that only adds or leaves out a word
ONLY_ARTICLE = 0.9  # … when that word is an article ("open [a] garage door")
ARTICLES = frozenset({"a", "an", "the"})
NEGATIONS = frozenset({"don't", "dont", "not", "never", "didn't", "doesn't", "no"})
# Inside a sentence, a command found inside longer speech must start with its verb: "[the
# kettle on]" of "is it the kettle on", "[light on]" of "it's heavy light on" (the Study light
# misheard) are not commands, "… and [turn off the fan]" is. So too after a question word or a
# condition ("if [the door is open]"), even at a sentence's start.
NOT_BEFORE = NEGATIONS | frozenset(
    "is are was were am do does did what how which who whether if when can could would will "
    "should shall it isn't aren't wasn't".split()
)
NOT_A_VERB = NOT_BEFORE | frozenset("the my a an all every this that please hey".split())
# Words a correction never produces or removes: their neighbours mean the opposite.
POLAR = frozenset({"on", "off", "open", "close", "up", "down", "lock", "unlock", "start", "stop"})
# … though it may change one into its own other form ("is the front door lock" → "locked").
_POLAR_FORMS = {
    "opened": "open", "closed": "close", "locked": "lock", "unlocked": "unlock",
    "started": "start", "stopped": "stop",
}  # fmt: skip

_WORD = re.compile(r"\d+(?:[.,]\d+)?%?|[a-z0-9]+(?:'[a-z]+)?%?")
_APOSTROPHE = "\u2019"  # how Whisper sometimes writes "don't"
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
TEMPLATE_SYNTAX = re.compile(r"\{[^}]*\}|<[^>]*>")

# A sounds-like key: consonant classes that Whisper confuses stay equal, vowels go.
_SOFT_C = re.compile(r"c(?=[eiy])")
_DIGRAPHS = (
    ("tch", "c"), ("ch", "c"), ("sh", "s"), ("ph", "f"), ("th", "t"), ("wh", "w"), ("ck", "k"),
    ("qu", "kw"), ("gh", ""), ("kn", "n"), ("wr", "r"), ("x", "ks"),
)  # fmt: skip
_CLASSES = str.maketrans(
    {
        "b": "p", "p": "p", "d": "t", "t": "t", "g": "k", "k": "k", "c": "k", "q": "k",
        "f": "f", "v": "f", "s": "s", "z": "s", "j": "j", "l": "l", "r": "r", "m": "n",
        "n": "n", "w": "w", "h": None, "y": None, "a": None, "e": None, "i": None, "o": None,
        "u": None,
    }
)  # fmt: skip


def words_of(text: str) -> list[str]:
    """The words of a transcript, lowercased, punctuation gone ("50%" stays one word)."""
    return _WORD.findall(text.lower().replace(_APOSTROPHE, "'"))


def sounds(text: str) -> str:
    """A key of how `text` sounds: consonant classes, no vowels, no repeats, no spaces."""
    letters = re.sub(r"[^a-z]", "", text.lower())
    if not letters:
        return ""
    letters = _SOFT_C.sub("s", letters)  # "place" sounds like "please", "ceiling" like "s…"
    for digraph, replacement in _DIGRAPHS:
        letters = letters.replace(digraph, replacement)
    first = "a" if letters[0] in "aeiou" else ""
    key = first + letters.translate(_CLASSES)
    return re.sub(r"(.)\1+", r"\1", key)


def similarity(heard: str, meant: str) -> float:
    """0..1: how alike two phrases are in letters and in sound (spaces do not count)."""
    return _similarity(_letters(heard), sounds(heard), _letters(meant), sounds(meant))


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _similarity(letters_a: str, key_a: str, letters_b: str, key_b: str) -> float:
    spelled = fuzz.ratio(letters_a, letters_b) / 100
    sound = fuzz.ratio(key_a, key_b) / 100 if key_a or key_b else spelled
    return (spelled + sound) / 2


@dataclass(frozen=True)
class Phrase:
    """A name, area or grammar word of the home, ready to compare."""

    text: str
    words: int
    letters: str
    key: str
    is_word: bool  # a grammar word, not one of the home's names


def _phrase(text: str, is_word: bool) -> Phrase:
    return Phrase(text, len(text.split()), _letters(text), sounds(text), is_word)


class Vocabulary:
    """What this home's commands can say: its names and areas, and the grammar's words."""

    def __init__(
        self, names: Iterable[str], grammar_words: Iterable[str], starts: Iterable[str] = ()
    ) -> None:
        named = {" ".join(words_of(n)) for n in names} - {""}
        spoken = {w for w in grammar_words if len(w) >= 3 and w not in POLAR} - named
        self.phrases = [_phrase(t, False) for t in sorted(named)]
        self.phrases += [_phrase(t, True) for t in sorted(spoken)]
        self.content = {w for t in named for w in t.split()}  # the words of names and areas
        # The words that tell one name from another: the first of each name or area ("study"
        # of "study light", "ceiling" of "ceiling light": "turn on the ceiling"), not the kind
        # words that end them ("light", "room" of "living room"), even where a kind is a name
        # (the "light" of the room it is in).
        firsts = {t.split()[0] for t in named if " " in t}
        kinds = {t.split()[-1] for t in named if " " in t}
        self.telling = firsts | ({t for t in named if " " not in t} - kinds)
        self.known = named | self.content | set(grammar_words)
        self._fixed = self.known - POLAR  # words no grammar word replaces
        self._named = named
        self.starts = frozenset(starts)  # words a command may start with
        self._letters = [p.letters for p in self.phrases]
        self._keys = [p.key for p in self.phrases]
        self._sizes = np.array([p.words for p in self.phrases])
        self._polarity = [_polarity(p.text.split()) for p in self.phrases]
        self._min = np.array(
            [MIN_WORD_SIMILARITY if p.is_word else MIN_SIMILARITY for p in self.phrases]
        )

    def names_with(self, word: str) -> list[str]:
        """The home's names and areas that have `word` in them."""
        return sorted(n for n in self._named if word in n.split())

    def says(self, sentence: str) -> bool:
        """Whether every word of `sentence` is one the home's commands can use."""
        return all(w in self.known or _is_number(w) for w in sentence.split())

    def replacements(self, words: list[str]) -> list[Replacement]:
        """Spans of `words` that sound like a phrase they are not, the most alike first."""
        spans = [
            (i, j)
            for i in range(len(words))
            for j in range(i + 1, min(len(words), i + MAX_SPAN_WORDS) + 1)
        ]
        if not spans or not self.phrases:
            return []
        heard = [" ".join(words[i:j]) for i, j in spans]
        spelled = process.cdist([_letters(h) for h in heard], self._letters, scorer=fuzz.ratio)
        sound = process.cdist([sounds(h) for h in heard], self._keys, scorer=fuzz.ratio)
        score = (spelled + sound) / 200
        lengths = np.array([j - i for i, j in spans])[:, None]
        fits = np.abs(lengths - self._sizes[None, :]) <= 1
        good = np.argwhere((score >= self._min[None, :]) & fits)
        found: list[Replacement] = []
        for row, column in good:
            phrase = self.phrases[column]
            i, j = spans[row]
            if heard[row] == phrase.text or (
                phrase.is_word and (j - i > 1 or heard[row] in self._fixed)
            ):
                continue  # a grammar word for one not the grammar's ("degrees" stays; "lock"
                # of "is the door lock" may be "locked")
            if _polarity(words[i:j]) != self._polarity[column]:
                continue  # "on" never becomes "off", nor "walk" "lock": "lock" may be "locked"
            similar = float(score[row, column])
            found.append(
                Replacement(i, j, heard[row], phrase.text, similar, _core(heard[row], phrase.text))
            )
        found.sort(key=lambda r: (-r.core, -r.similarity, r.start))
        return _best_per_span(found)[:MAX_REPLACEMENTS]


@dataclass(frozen=True)
class Replacement:
    """Words `start:end` of the transcript, heard as `heard`, probably meant as `meant`."""

    start: int
    end: int
    heard: str
    meant: str
    similarity: float  # of the whole span and the whole phrase
    core: float  # of the words that differ: how sure the change is


@dataclass(frozen=True)
class Hypothesis:
    """A sentence the transcript may have meant, and how sure that is (0..1)."""

    text: str
    confidence: float
    changes: tuple[Replacement, ...] = ()
    window: tuple[int, int] | None = None  # the words of the transcript it keeps
    tier: int = 0  # 0: the whole transcript or one of its sentences; 1: a window of words


def _best_per_span(found: list[Replacement]) -> list[Replacement]:
    """At most the two most alike phrases per span (the second one can make a question)."""
    seen: dict[tuple[int, int], int] = {}
    kept = []
    for replacement in found:
        span = (replacement.start, replacement.end)
        if seen.get(span, 0) < 2:
            seen[span] = seen.get(span, 0) + 1
            kept.append(replacement)
    return kept


def hypotheses(text: str, vocabulary: Vocabulary, budget: int = 48) -> list[Hypothesis]:
    """Sentences `text` may have meant, the most likely first, at most `budget` of them.

    The transcript itself is not among them (the grammar has been asked about it already).
    """
    words = words_of(text)
    if not words:
        return []
    replacements = vocabulary.replacements(words)
    found: dict[str, Hypothesis] = {}

    def add(hypothesis: Hypothesis) -> None:
        old = found.get(hypothesis.text)
        if old is None or old.confidence < hypothesis.confidence:
            found[hypothesis.text] = hypothesis

    for start, end, tier in _windows(text, words, vocabulary):
        inside = [r for r in replacements if start <= r.start and r.end <= end]
        penalty = 0.0 if (start, end) == (0, len(words)) else WINDOW_PENALTY
        window = None if not penalty else (start, end)
        for changes in _combinations(inside):
            sentence = _apply(words, start, end, changes)
            confidence = _confidence(changes) - penalty
            add(Hypothesis(sentence, round(confidence, 4), changes, window, tier))
    ranked = sorted(found.values(), key=lambda h: (h.tier, -h.confidence))
    original = " ".join(words)
    return [h for h in ranked if h.text != original and vocabulary.says(h.text)][:budget]


NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred half and point".split()
)


SPOKEN_NUMBERS = NUMBER_WORDS - {"and", "point", "half", "one"}


def keeps_polarity_and_numbers(heard: str, meant: str) -> bool:
    """Whether `meant` says the same on/off (open, lock, …) words and the same numbers as
    `heard`: then it cannot turn what was heard into its opposite or another amount."""
    a, b = words_of(heard), words_of(meant)
    return _polarity(a) == _polarity(b) and _numbers(a) == _numbers(b)


def respelled_number(heard: str, other: str) -> bool:
    """Whether `other` differs from `heard` only in a number written in words where `heard`
    has digits, or the reverse ("twenty" for "22"): Whisper's first piece of "twenty-two",
    which tells nothing about the number."""
    a, b = words_of(heard), words_of(other)
    pairs = [(x, y) for x, y in zip(a, b, strict=False) if x != y]
    return (
        len(a) == len(b)
        and bool(pairs)
        and all(
            _is_number(x) and _is_number(y) and _is_digits(x) != _is_digits(y) for x, y in pairs
        )
    )


def _is_digits(word: str) -> bool:
    return word[:1].isdigit()


def _numbers(words: list[str]) -> list[str]:
    return [w.rstrip("%") for w in words if _is_number(w) and w not in ("and", "point")]


def _polarity(words: list[str]) -> list[str]:
    """The polar words of `words`, each as its base form ("locked" is "lock")."""
    return sorted(_POLAR_FORMS.get(w, w) for w in words if w in POLAR or w in _POLAR_FORMS)


def _is_number(word: str) -> bool:
    return word.rstrip("%").replace(".", "", 1).isdigit() or word in NUMBER_WORDS


def _windows(text: str, words: list[str], vocabulary: Vocabulary) -> list[tuple[int, int, int]]:
    """(start, end, tier): the whole transcript and its sentences (tier 0), then windows of
    words that start where a command can (tier 1, tried only when tier 0 finds nothing: a
    word left out next to a command is more often a misheard part of it than other talk)."""
    windows = [(0, len(words), 0)]
    position = 0
    sentence_starts = {0}
    ends = {len(words)}  # where a window may end: a sentence's end, or a clause's (a comma)
    for sentence in _SENTENCE_END.split(text.strip()):
        count = len(words_of(sentence))
        if count and count < len(words):
            windows.append((position, position + count, 0))
        clause_end = position
        for clause in sentence.split(","):
            clause_end += len(words_of(clause))
            ends.add(clause_end)
        position += count
        sentence_starts.add(position)
    seen = {(start, end) for start, end, _ in windows}
    for start, word in enumerate(words):
        if word not in vocabulary.starts or (start and words[start - 1] in NEGATIONS):
            continue
        for end in range(min(len(words), start + MAX_WINDOW_WORDS), start + 1, -1):
            if end - start >= MIN_WINDOW_WORDS and (start, end) not in seen:
                windows.append((start, end, 1))
    # What a window leaves out must be other talk: a name or an area left out would change
    # the command ("turn off the kitchen light [in the garage]"), and so would a misheard one:
    # a window ends where the transcript, one of its sentences or one of its clauses ends
    # ("turn off the light [in the commission]" is the Garage's light, not the light of the
    # room it was said in; "switch the office fan off, [coming up after the break]" is not).
    return [
        (start, end, tier)
        for start, end, tier in windows
        if not _matters(words, start, end, vocabulary)
        and end in ends
        and not NEGATIONS.intersection(words[max(0, start - 2) : start])
        and not (
            (start not in sentence_starts or _asks(words, start))
            and (words[start] in NOT_A_VERB or words[start] in vocabulary.content)
        )
    ]


def _asks(words: list[str], start: int) -> bool:
    """Whether a question word or a condition comes just before word `start`."""
    return bool(NOT_BEFORE.intersection(words[max(0, start - 2) : start]))


def _matters(words: list[str], start: int, end: int, vocabulary: Vocabulary) -> bool:
    """Whether what a window leaves out could change the command: a word of a name or an
    area that tells it from others anywhere ("kitchen", "ceiling"; not a "room" or a "light"
    of the TV's talk), a number right beside it ("to 18[.5 degrees]")."""
    if vocabulary.telling.intersection(words[:start] + words[end:]):
        return True
    beside = words[max(0, start - 2) : start] + words[end : end + 2]
    return any(any(c.isdigit() for c in w) or w in SPOKEN_NUMBERS for w in beside)


def _combinations(inside: list[Replacement]) -> list[tuple[Replacement, ...]]:
    """No change, each change alone, and each pair of changes that do not overlap."""
    combos: list[tuple[Replacement, ...]] = [()]
    combos += [(r,) for r in inside]
    for a_index, a in enumerate(inside):
        for b in inside[a_index + 1 :]:
            if a.end <= b.start or b.end <= a.start:
                combos.append(tuple(sorted((a, b), key=lambda r: r.start)))
    return combos


def _apply(words: list[str], start: int, end: int, changes: tuple[Replacement, ...]) -> str:
    out: list[str] = []
    position = start
    for change in changes:
        out += words[position : change.start]
        out.append(change.meant)
        position = change.end
    out += words[position:end]
    return " ".join(out)


def _confidence(changes: tuple[Replacement, ...]) -> float:
    """1 when nothing changed; else how alike the changed words are, alone and with the words
    around them that stayed ("ceiling like" is closer to "ceiling light" than "like" to
    "light"), change by change."""
    confidence = 1.0
    for change in changes:
        confidence *= (change.core + change.similarity) / 2
    return confidence


def _core(heard: str, meant: str) -> float:
    """How alike `heard` and `meant` are in the words they do not share ("best" and
    "bedside" of "best lamp" and "bedside lamp"): the shared "lamp" proves nothing."""
    heard_words, meant_words = heard.split(), meant.split()
    for word in list(heard_words):
        if word in meant_words:
            heard_words.remove(word)
            meant_words.remove(word)
    if not heard_words or not meant_words:
        if ARTICLES.issuperset(heard_words + meant_words):
            return ONLY_ARTICLE
        return ONLY_ADDED  # a word added or left out: the grammar takes or leaves it anyway
    return similarity(" ".join(heard_words), " ".join(meant_words))
