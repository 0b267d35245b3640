"""Settings: the example config loads, bad keys and values are named, flags override the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli import parser, settings_from_args
from hub.settings import ControlMode, Device, HubSettings
from protocol.settings import SettingsError, build, load_yaml
from tests.conftest import REPO


def test_example_config_loads_with_its_values() -> None:
    settings = build(HubSettings, load_yaml(REPO / "config" / "hub.yaml"))
    assert settings.uri == "tcp://0.0.0.0:10300"
    assert settings.device is Device.AUTO
    assert settings.stt.model == "tiny.en"
    assert settings.tts.voice == "en_US-joe-medium"
    assert "hey_jarvis" in settings.wake.words
    assert settings.limits.max_payload_bytes == 1048576
    assert settings.mqtt.url == "none" and settings.mqtt.node_id == "hub"
    assert settings.data_dirs[0].is_absolute()  # ~ expanded
    assert settings.satellites.control is ControlMode.ALL and settings.satellites.uris == ()
    assert settings.vad.silence_s == 0.3


@pytest.mark.parametrize(
    ("raw", "key", "fragment"),
    [
        ({"stt": {"beam_size": 0}}, "stt.beam_size", "1..10"),
        ({"stt": {"beam_sise": 1}}, "stt.beam_sise", "unknown setting"),
        ({"device": "tpu"}, "device", "auto, cpu, cuda"),
        ({"uri": "udp://x:1"}, "uri", "tcp://"),
        ({"wake": {"threshold": "high"}}, "wake.threshold", "number"),
        ({"limits": {"idle_timeout_s": 0}}, "limits.idle_timeout_s", "positive"),
        ({"mqtt": {"url": "http://broker"}}, "mqtt.url", "mqtt://"),
        ({"mqtt": "mqtt://broker"}, "mqtt", "mapping"),
        ({"http_port": True}, "http_port", "integer"),
        ({"tts": 5}, "tts", "mapping"),
        ({"satellites": {"uris": ["10.0.0.2:10700"]}}, "satellites.uris", "tcp://"),
        ({"satellites": {"control": "some"}}, "satellites.control", "all, listed, none"),
        ({"satellites": {"silence_timeout_s": 1}}, "satellites.silence_timeout_s", "longer"),
        ({"vad": {"speculate_after_s": 2}}, "vad.speculate_after_s", "silence_s"),
        ({"vad": {"complete_silence_s": 0.5}}, "vad.complete_silence_s", "0..vad.silence_s"),
        ({"vad": {"unfinished_silence_s": 0.2}}, "vad.unfinished_silence_s", "silence_s..5"),
    ],
)
def test_bad_settings_name_key_and_value(raw: dict[str, object], key: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        build(HubSettings, raw)
    assert caught.value.key == key
    assert fragment in str(caught.value)


def test_flags_override_the_file(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(
        "uri: tcp://127.0.0.1:1\nstt: {model: base, beam_size: 3}\nwake: {words: [alexa]}\n"
    )
    args = parser().parse_args(
        [
            "--config",
            str(config),
            "--stt-model",
            "tiny.en",
            "--wake-word",
            "okay_nabu",
            "--wake-word",
            "hey_jarvis",
            "--no-zeroconf",
            "--device",
            "cpu",
        ]
    )
    settings = settings_from_args(args)
    assert settings.uri == "tcp://127.0.0.1:1"
    assert settings.stt.model == "tiny.en"
    assert settings.stt.beam_size == 3
    assert settings.wake.words == ("okay_nabu", "hey_jarvis")
    assert settings.zeroconf is False
    assert settings.device is Device.CPU


def test_satellite_flags_add_to_the_file(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("satellites: {uris: [tcp://10.0.0.2:10700], control: all}\n")
    args = parser().parse_args(
        [
            "--config",
            str(config),
            "--satellite",
            "tcp://10.0.0.3:10700",
            "--control-satellites",
            "listed",
        ]
    )
    satellites = settings_from_args(args).satellites
    assert satellites.uris == ("tcp://10.0.0.2:10700", "tcp://10.0.0.3:10700")
    assert satellites.control is ControlMode.LISTED


@pytest.mark.parametrize(
    ("config_text", "message"),
    [
        ("tts:\n  samples_per_chunk: 3\n", "tts.samples_per_chunk = 3"),
        ("stt: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_hub_exits_non_zero_naming_the_problem(
    tmp_path: Path, config_text: str, message: str
) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(config_text)
    result = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
