"""Settings from the environment: every setting has a variable, `_FILE` reads a file, the
precedence is flags > environment > file > defaults, and a secret never shows."""

from __future__ import annotations

import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from hub.cli import parser as hub_parser
from hub.cli import settings_from_args as hub_settings
from hub.settings import Device, HubSettings
from protocol.environment import from_environment, leaves, variable_name
from protocol.settings import SettingsError
from satellite.cli import parser as satellite_parser
from satellite.cli import settings_from_args as satellite_settings
from satellite.settings import SatelliteSettings
from tests.conftest import REPO

PROGRAMS = {"hub": HubSettings, "satellite": SatelliteSettings}
SECRET = "s3cr3t-Pa55word-0123456789"


def _as_text(value: Any) -> str:
    """A default value written the way a user writes it in the environment."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return "{}"
    if value is None:
        return "null"
    return str(value)


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_setting_is_read_from_its_variable(program: str) -> None:
    cls = PROGRAMS[program]
    found = list(leaves(cls))
    assert len({leaf.variable for leaf in found}) == len(found), "two settings share a name"
    environ = {leaf.variable: _as_text(leaf.default) for leaf in found}
    raw, warnings = from_environment(cls, environ)
    assert not warnings
    for leaf in found:
        value: Any = raw
        for part in leaf.key.split("."):
            value = value[part]
        default = leaf.default
        if isinstance(default, tuple):
            assert value == [str(v) if isinstance(v, Path) else v for v in default], leaf.key
        elif isinstance(default, Enum | Path):
            assert value == str(default.value if isinstance(default, Enum) else default)
        else:
            assert value == default, leaf.key
    # Every default, given back through the environment, builds the same settings.
    args = (hub_parser() if program == "hub" else satellite_parser()).parse_args(
        [] if program == "hub" else ["--mic-command", "arecord"]
    )
    build = hub_settings if program == "hub" else satellite_settings
    environ.pop("HOMEVOICE_NAME", None)  # the satellite's default is this host's name
    if program == "satellite":
        environ.pop("HOMEVOICE_MIC_COMMAND")
    assert build(args, environ) == build(args, {})


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_reference_names_every_variable(program: str) -> None:
    reference = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    section = reference.split("## Satellite")[0 if program == "hub" else 1]
    missing = [
        leaf.variable for leaf in leaves(PROGRAMS[program]) if f"`{leaf.variable}`" not in section
    ]
    assert not missing
    assert "flag** on the command line" in reference and "_FILE" in reference


def test_values_are_read_as_their_types() -> None:
    environ = {
        "HOMEVOICE_DEVICE": "cpu",
        "HOMEVOICE_STT_BEAM_SIZE": "3",
        "HOMEVOICE_VAD_SILENCE_S": "0.45",
        "HOMEVOICE_ZEROCONF": "off",
        "HOMEVOICE_WAKE_WORDS": "alexa, hey_jarvis",
        "HOMEVOICE_SATELLITES_URIS": "[tcp://10.0.0.2:10700, tcp://10.0.0.3:10700]",
        "HOMEVOICE_DATA_DIRS": "/srv/models,~/voices",
        "HOMEVOICE_HOME_ENTITIES": '{"light.kitchen": {"aliases": ["big light"]}}',
        "HOMEVOICE_MQTT_URL": "mqtt://broker.lan:1884",
        "HOMEVOICE_MQTT_USERNAME": "hub",
        "HOMEVOICE_MQTT_PASSWORD": SECRET,
    }
    settings = hub_settings(hub_parser().parse_args([]), environ)
    assert settings.device is Device.CPU
    assert settings.stt.beam_size == 3 and settings.vad.silence_s == 0.45
    assert settings.zeroconf is False
    assert settings.wake.words == ("alexa", "hey_jarvis")
    assert settings.satellites.uris == ("tcp://10.0.0.2:10700", "tcp://10.0.0.3:10700")
    assert settings.data_dirs == (Path("/srv/models"), Path("~/voices").expanduser())
    assert settings.home.entities["light.kitchen"].aliases == ("big light",)
    broker = settings.mqtt.broker()
    assert (broker.host, broker.port, broker.username, broker.password) == (
        "broker.lan",
        1884,
        "hub",
        SECRET,
    )
    assert SECRET not in repr(settings) and SECRET not in repr(broker)
    assert SECRET not in str(broker)


def test_flags_beat_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text("stt: {model: base, beam_size: 2}\nhttp_port: 8000\nlog_level: debug\n")
    environ = {"HOMEVOICE_STT_MODEL": "small", "HOMEVOICE_HTTP_PORT": "9000"}
    args = hub_parser().parse_args(["--config", str(config), "--stt-model", "tiny"])
    settings = hub_settings(args, environ)
    assert settings.stt.model == "tiny"  # flag over environment over file
    assert settings.http_port == 9000  # environment over file
    assert settings.stt.beam_size == 2 and settings.log_level == "debug"  # file over default
    assert settings.tts.voice == HubSettings().tts.voice  # the default


def test_satellites_from_a_flag_add_to_those_of_the_environment() -> None:
    environ = {"HOMEVOICE_SATELLITES_URIS": "tcp://10.0.0.2:10700"}
    args = hub_parser().parse_args(["--satellite", "tcp://10.0.0.9:10700"])
    assert hub_settings(args, environ).satellites.uris == (
        "tcp://10.0.0.2:10700",
        "tcp://10.0.0.9:10700",
    )


def test_a_file_variable_holds_the_value(tmp_path: Path) -> None:
    secret_file = tmp_path / "llm-key"
    secret_file.write_text(SECRET + "\n")
    token_file = tmp_path / "token"
    token_file.write_text("t" * 20)
    environ = {
        "HOMEVOICE_LLM_API_KEY_FILE": str(secret_file),
        "HOMEVOICE_HTTP_TOKEN_FILE": str(token_file),  # the setting http.token_file itself
        "HOMEVOICE_PEERS": "/x",  # not a setting, and close to none: no warning
    }
    raw, warnings = from_environment(HubSettings, environ)
    assert raw["llm"]["api_key"] == SECRET  # the last line break dropped
    assert raw["http"] == {"token_file": str(token_file)}
    assert warnings == []


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"HOMEVOICE_LLM_API_KEY": SECRET, "HOMEVOICE_LLM_API_KEY_FILE": "/x"}, "not both"),
        ({"HOMEVOICE_LLM_API_KEY_FILE": "/nonexistent/key"}, "cannot read"),
        ({"HOMEVOICE_STT_BEAM_SIZE": "three"}, "must be an integer"),
        ({"HOMEVOICE_ZEROCONF": "maybe"}, "true or false"),
        ({"HOMEVOICE_HOME_ENTITIES": "[1, 2]"}, "mapping"),
    ],
)
def test_bad_variables_are_named(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        from_environment(HubSettings, environ)
    assert fragment in str(caught.value)
    assert caught.value.key.startswith("HOMEVOICE_")
    assert SECRET not in str(caught.value)


def test_a_value_out_of_range_names_the_setting_and_its_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        hub_settings(hub_parser().parse_args([]), {"HOMEVOICE_STT_BEAM_SIZE": "20"})
    assert caught.value.key == "stt.beam_size"
    assert "(set by HOMEVOICE_STT_BEAM_SIZE)" in str(caught.value)


def test_a_misspelt_variable_is_warned_about() -> None:
    _, warnings = from_environment(HubSettings, {"HOMEVOICE_MQTT_URI": "mqtt://x"})
    assert warnings == ["HOMEVOICE_MQTT_URI is not a setting; did you mean HOMEVOICE_MQTT_URL?"]


def test_variable_names() -> None:
    assert variable_name("mqtt.url") == "HOMEVOICE_MQTT_URL"
    assert variable_name("http_port") == "HOMEVOICE_HTTP_PORT"
    assert variable_name("satellites.connect_timeout_s") == "HOMEVOICE_SATELLITES_CONNECT_TIMEOUT_S"


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        # A password without any user name.
        ({"HOMEVOICE_MQTT_URL": "mqtt://broker", "HOMEVOICE_MQTT_PASSWORD": SECRET}, "password"),
        # A broken URL that carries a password.
        ({"HOMEVOICE_MQTT_URL": f"mqtt://u:{SECRET}@broker:port"}, "mqtt.url"),
    ],
)
def test_a_secret_never_shows_in_the_error_of_the_program(
    environ: dict[str, str], key: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)
    for program in ("hub", "satellite"):
        extra = ["--mic-command", "arecord"] if program == "satellite" else []
        done = subprocess.run(
            [sys.executable, "-m", program, *extra],
            env={
                "PATH": "/usr/bin:/bin",
                **environ,
                "HOMEVOICE_LLM_API_KEY_FILE": str(secret_file),
            },
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
        assert done.returncode == 2, done.stderr
        assert key in done.stderr
        assert SECRET not in done.stdout + done.stderr
