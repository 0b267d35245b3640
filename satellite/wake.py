"""Local wake words: openWakeWord or microWakeWord models, looked up by name or path."""

from __future__ import annotations

import importlib
import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.trigger import WakeHit, WakeTrigger

from .settings import WakeEngineName, WakeSettings

_LOGGER = logging.getLogger(__name__)
_RATE_HZ = 16000
OPENWAKEWORD_THRESHOLD = 0.5


class WakeModelNotFound(LookupError):
    """A wake word name that resolves to no model file; the message says where we looked."""


@dataclass(frozen=True)
class WakeModel:
    """One wake word model file and the phrase it listens for."""

    name: str
    phrase: str
    path: Path
    engine: WakeEngineName


def bundled_dir(engine: WakeEngineName) -> Path | None:
    """Where the engine's package keeps its bundled models, if it is installed."""
    module = "pymicro_wakeword" if engine is WakeEngineName.MICROWAKEWORD else "pyopen_wakeword"
    try:
        package = importlib.import_module(module)
    except ImportError:
        return None
    return Path(str(package.__file__)).parent / "models"


def _suffix(engine: WakeEngineName) -> str:
    return ".json" if engine is WakeEngineName.MICROWAKEWORD else ".tflite"


def _phrase(path: Path, engine: WakeEngineName) -> str:
    if engine is WakeEngineName.MICROWAKEWORD:
        return str(json.loads(path.read_text(encoding="utf-8"))["wake_word"])
    return path.stem.replace("_", " ").title()


def resolve_wake_model(
    name: str, engine: WakeEngineName, data_dirs: tuple[Path, ...] = ()
) -> WakeModel:
    """A name (`hey_jarvis`) or path to a model: explicit path, data dirs, bundled models."""
    suffix = _suffix(engine)
    looked: list[str] = []
    explicit = Path(name).expanduser()
    candidates = [explicit] if explicit.suffix == suffix else []
    candidates += [d / f"{name}{suffix}" for d in data_dirs]
    bundled = bundled_dir(engine)
    if bundled is not None:
        candidates.append(bundled / f"{name}{suffix}")
    for path in candidates:
        looked.append(str(path))
        if path.is_file():
            return WakeModel(path.stem, _phrase(path, engine), path, engine)
    known = sorted(p.stem for p in bundled.glob(f"*{suffix}")) if bundled else []
    known = [k for k in known if k not in ("embedding_model", "melspectrogram")]
    raise WakeModelNotFound(
        f"wake word {name!r} ({engine.value}) not found; looked at: {', '.join(looked)}. "
        f"Bundled: {', '.join(known) or 'none (is the package installed?)'}"
    )


class WakeDetector(ABC):
    """Streaming detection of several wake words at once on 16 kHz 16-bit mono audio."""

    def __init__(self, models: list[WakeModel], settings: WakeSettings) -> None:
        self.models = {m.name: m for m in models}
        self._settings = settings
        self._triggers: dict[str, WakeTrigger] = {}
        self._samples = 0
        self._pending = b""

    def _trigger(self, name: str, default_threshold: float) -> WakeTrigger:
        threshold = self._settings.threshold or default_threshold
        return WakeTrigger(threshold, self._settings.trigger_level, self._settings.refractory_s)

    def process(self, pcm16: bytes) -> list[WakeHit]:
        """Feed audio; return the detections it completed."""
        data = self._pending + pcm16
        usable = len(data) - len(data) % 2
        self._pending = data[usable:]
        self._samples += usable // 2
        audio_time_s = self._samples / _RATE_HZ
        hits = []
        for name, score in self._scores(data[:usable]):
            if self._triggers[name].update(score, audio_time_s):
                model = self.models[name]
                hits.append(WakeHit(name, model.phrase, score, int(audio_time_s * 1000)))
        return hits

    def warm(self) -> None:
        """Run the interpreters once on silence; the stream clock starts afterwards at 0."""
        self.process(bytes(3200))
        self._samples = 0
        self._pending = b""

    @abstractmethod
    def _scores(self, pcm16: bytes) -> list[tuple[str, float]]: ...

    @abstractmethod
    def close(self) -> None:
        """Free the interpreters."""


class OpenWakeWordDetector(WakeDetector):
    """openWakeWord: one shared feature pipeline, one small classifier per wake word."""

    def __init__(self, models: list[WakeModel], settings: WakeSettings) -> None:
        super().__init__(models, settings)
        from pyopen_wakeword import OpenWakeWord, OpenWakeWordFeatures

        self._features = OpenWakeWordFeatures.from_builtin()
        self._classifiers: dict[str, Any] = {
            m.name: OpenWakeWord.from_model(m.path) for m in models
        }
        self._triggers = {m.name: self._trigger(m.name, OPENWAKEWORD_THRESHOLD) for m in models}

    def _scores(self, pcm16: bytes) -> list[tuple[str, float]]:
        scores = []
        for embedding in self._features.process_streaming(pcm16):
            for name, classifier in self._classifiers.items():
                scores += [(name, float(s)) for s in classifier.process_streaming(embedding)]
        return scores

    def close(self) -> None:
        for classifier in self._classifiers.values():
            classifier.close()
        self._features.close()


class MicroWakeWordDetector(WakeDetector):
    """microWakeWord: tiny streaming models, each with its own probability cutoff."""

    def __init__(self, models: list[WakeModel], settings: WakeSettings) -> None:
        super().__init__(models, settings)
        from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures

        self._features = MicroWakeWordFeatures()
        self._classifiers: dict[str, Any] = {
            m.name: MicroWakeWord.from_config(m.path) for m in models
        }
        self._triggers = {
            name: self._trigger(name, float(c.probability_cutoff))
            for name, c in self._classifiers.items()
        }

    def _scores(self, pcm16: bytes) -> list[tuple[str, float]]:
        scores = []
        for features in self._features.process_streaming(pcm16):
            for name, classifier in self._classifiers.items():
                probability = classifier.process_streaming_prob(features)
                if probability is not None:
                    scores.append((name, float(probability)))
        return scores

    def close(self) -> None:
        for classifier in self._classifiers.values():
            classifier.close()


def wake_detector(settings: WakeSettings) -> WakeDetector | None:
    """A detector for the wake words and the stop word; None when there are neither."""
    names = [*settings.words, *([settings.stop_word] if settings.stop_word else [])]
    if not names:
        return None
    models = [resolve_wake_model(n, settings.engine, settings.data_dirs) for n in names]
    if settings.engine is WakeEngineName.MICROWAKEWORD:
        return MicroWakeWordDetector(models, settings)
    return OpenWakeWordDetector(models, settings)
