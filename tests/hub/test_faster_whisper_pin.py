"""faster-whisper is pinned to the minor version whose internals the hub uses: this test says
which, and fails when an upgrade moves them (then check hub/engines/stt.py and move the pin)."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version

from packaging.specifiers import SpecifierSet

from hub.models import resolve_stt_model
from tests.conftest import REPO

CHECKED_ON = "1.2"  # the minor version these internals were read from


def _pin() -> SpecifierSet:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'"faster-whisper([^"]+)"', text)
    assert match, "faster-whisper is not in pyproject.toml"
    return SpecifierSet(match[1])


def test_the_pin_is_one_minor_version_and_the_installed_one_is_in_it() -> None:
    pin = _pin()
    assert f"{CHECKED_ON}.0" in pin and f"{CHECKED_ON}.99" in pin
    major, minor = (int(part) for part in CHECKED_ON.split("."))
    assert f"{major}.{minor + 1}.0" not in pin and f"{major}.{minor - 1}.99" not in pin
    assert version("faster-whisper") in pin


def test_the_internals_the_hub_uses_are_there() -> None:
    from faster_whisper import WhisperModel
    from faster_whisper.tokenizer import _LANGUAGE_CODES, Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    assert "en" in _LANGUAGE_CODES and len(_LANGUAGE_CODES) > 90
    assert list(inspect.signature(get_suppressed_tokens).parameters) == [
        "tokenizer",
        "suppress_tokens",
    ]
    parameters = list(inspect.signature(Tokenizer).parameters)
    assert parameters[:4] == ["tokenizer", "multilingual", "task", "language"]

    model = WhisperModel(str(resolve_stt_model("tiny.en", [])), device="cpu", compute_type="int8")
    assert model.model.is_multilingual is False
    assert callable(model.model.encode) and callable(model.model.generate)
    tokenizer = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")
    assert tokenizer.no_timestamps > tokenizer.eot and tokenizer.sot_sequence
    suppressed = get_suppressed_tokens(tokenizer, [-1])
    assert suppressed and all(isinstance(token, int) for token in suppressed)
