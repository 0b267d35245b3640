"""Satellite settings: the example config loads, bad values are named, flags override the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol.settings import SettingsError, build, load_yaml
from satellite.cli import main, parser, settings_from_args
from satellite.settings import SatelliteSettings, WakeEngineName
from tests.conftest import REPO

MIC = {"command": "arecord -q -r 16000 -c 1 -f S16_LE -t raw"}


def test_example_config_loads_with_its_values() -> None:
    settings = build(SatelliteSettings, load_yaml(REPO / "config" / "satellite.yaml"))
    assert settings.uri == "tcp://0.0.0.0:10700"
    assert settings.mic.command.startswith("arecord ")
    assert settings.mic.rate_hz == 16000
    assert settings.snd.command.startswith("aplay ")
    assert settings.snd.rate_hz == 22050
    assert settings.wake.words == ("hey_jarvis",)
    assert settings.wake.engine is WakeEngineName.OPENWAKEWORD
    assert settings.wake.threshold is None
    assert settings.sounds.awake is None
    assert settings.mqtt.url == "none" and not settings.mqtt.enabled
    assert settings.limits.idle_timeout_s == 3600
    assert settings.wake.data_dirs[0].is_absolute()  # ~ expanded


@pytest.mark.parametrize(
    ("raw", "key", "fragment"),
    [
        ({"mic": {**MIC, "wav": "demo.wav"}}, "mic", "exactly one of mic.command"),
        ({"mic": {}}, "mic", "exactly one of mic.command"),
        ({"mic": MIC, "snd": {"rate_hz": 1000}}, "snd.rate_hz", "4000..192000"),
        ({"mic": {**MIC, "width": 3}}, "mic.width", "not supported"),
        ({"mic": MIC, "wake": {"word": ["alexa"]}}, "wake.word", "unknown setting"),
        (
            {"mic": MIC, "wake": {"words": ["alexa"], "stop_word": "alexa"}},
            "wake.stop_word",
            "must not also be a wake word",
        ),
        ({"mic": MIC, "wake": {"engine": "porcupine"}}, "wake.engine", "microwakeword"),
        ({"mic": MIC, "uri": "udp://0.0.0.0:10700"}, "uri", "tcp://"),
    ],
)
def test_bad_settings_name_the_key(raw: dict[str, object], key: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        build(SatelliteSettings, raw)
    assert caught.value.key == key
    assert fragment in str(caught.value)


def test_flags_override_the_file(tmp_path: Path) -> None:
    config = tmp_path / "satellite.yaml"
    config.write_text(
        "name: Kitchen\nmic: {command: arecord, chunk_samples: 512}\n"
        "snd: {command: aplay, rate_hz: 16000}\nwake: {words: [alexa]}\n"
    )
    flags = ["--name", "Hall", "--snd-rate", "22050", "--no-zeroconf"]
    words = ["--wake-word", "okay_nabu", "--wake-word", "hey_jarvis"]
    args = parser().parse_args(["--config", str(config), *flags, *words])
    settings = settings_from_args(args)
    assert settings.name == "Hall"
    assert settings.mic.command == "arecord" and settings.mic.chunk_samples == 512
    assert settings.snd.command == "aplay" and settings.snd.rate_hz == 22050
    assert settings.wake.words == ("okay_nabu", "hey_jarvis")
    assert settings.zeroconf is False


def test_bad_settings_exit_with_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--snd-command", "aplay"]) == 2  # no mic command
    assert "mic.command (--mic-command)" in capsys.readouterr().err
