"""The add-on's run script: add-on options and the Supervisor's MQTT service become
homevoice-hub flags, and the hub accepts them."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from hub.cli import parser, settings_from_args
from hub.settings import ControlMode, HubSettings
from protocol.mqtt import BrokerAddress

from .files import RUN_SCRIPT, config
from .harness import Result, needs_jq, run_script

pytestmark = needs_jq

MOSQUITTO = {
    "host": "core-mosquitto",
    "port": 1883,
    "ssl": False,
    "protocol": "3.1.1",
    "username": "addons",
    "password": "Eeh9eiv7",
}


def options(**changes: Any) -> dict[str, Any]:
    """The default options of config.yaml with some changed (None removes one)."""
    merged = {**config()["options"], **changes}
    return {k: v for k, v in merged.items() if v is not None}


# The fake hub: its argv (as the harness's) and its whole environment, NUL-separated.
RECORD_HUB = 'printf "%s\\0" "$@" > "$HUB_ARGV_FILE"; env -0 > "$HUB_ARGV_FILE.env"'
SECRETS = ("HOMEVOICE_HTTP_TOKEN", "HOMEVOICE_LLM_API_KEY", "HOMEVOICE_MQTT_PASSWORD")


def run(tmp_path: Path, opts: dict[str, Any], **kwargs: Any) -> Result:
    kwargs.setdefault("fakes", {"homevoice-hub": RECORD_HUB})
    result = run_script(RUN_SCRIPT, tmp_path, opts, **kwargs)
    assert result.returncode == 0, result.stderr
    assert result.argv is not None, result.stderr
    return result


def hub_env(tmp_path: Path) -> dict[str, str]:
    """The environment the fake hub was started with."""
    entries = (tmp_path / "hub-argv.env").read_bytes().decode().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def hub_settings(argv: list[str]) -> HubSettings:
    """What the hub makes of the flags (its own parser and settings checks)."""
    return settings_from_args(parser().parse_args(argv))


def flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == flag]


def test_defaults(tmp_path: Path) -> None:
    result = run(tmp_path, options())
    assert result.argv == [
        "--uri",
        "tcp://0.0.0.0:10300",
        "--http-port",
        "10380",
        "--device",
        "cpu",
        "--data-dir",
        str(tmp_path / "data" / "models"),
        "--allow-download",
        "--stt-model",
        "tiny.en",
        "--tts-voice",
        "en_US-joe-medium",
        "--wake-word",
        "okay_nabu",
        "--wake-word",
        "hey_jarvis",
        "--control-satellites",
        "none",
        "--no-zeroconf",
        "--log-level",
        "info",
        "--mqtt",
        "none",
    ]
    settings = hub_settings(result.argv)
    assert settings.tcp.port == 10300
    assert [str(d) for d in settings.data_dirs] == [str(tmp_path / "data" / "models")]
    # Not as root: as the add-on's own user, who owns the models' folder.
    assert (tmp_path / "hub-argv.user").read_text() == "homevoice"
    assert (tmp_path / "hub-argv.chown").read_text().split() == [
        "-R",
        "homevoice:homevoice",
        str(tmp_path / "data" / "models"),
    ]
    assert (tmp_path / "data" / "models").is_dir()
    assert settings.allow_download
    assert settings.satellites.control is ControlMode.NONE
    assert not settings.zeroconf
    assert not settings.mqtt.enabled
    assert not settings.llm.url
    assert "No MQTT broker" in result.stderr


def test_wake_words(tmp_path: Path) -> None:
    words = ["alexa", "hey_mycroft", "my_word"]
    result = run(tmp_path, options(wake_words=words))
    assert result.argv is not None
    assert flag_values(result.argv, "--wake-word") == words
    assert list(hub_settings(result.argv).wake.words) == words


def test_no_wake_words_leaves_the_hub_default(tmp_path: Path) -> None:
    result = run(tmp_path, options(wake_words=[]))
    assert result.argv is not None
    assert "--wake-word" not in result.argv
    hub_settings(result.argv)


def test_models(tmp_path: Path) -> None:
    result = run(tmp_path, options(stt_model="small.en", tts_voice="de_DE-thorsten-medium"))
    assert result.argv is not None
    settings = hub_settings(result.argv)
    assert settings.stt.model == "small.en"
    assert settings.tts.voice == "de_DE-thorsten-medium"


def test_share_folder_is_a_second_data_dir(tmp_path: Path) -> None:
    share = tmp_path / "share-homevoice"
    share.mkdir()
    result = run(tmp_path, options(), env={"HOMEVOICE_SHARE_DIR": str(share)})
    assert result.argv is not None
    assert flag_values(result.argv, "--data-dir") == [str(tmp_path / "data" / "models"), str(share)]


def test_llm(tmp_path: Path) -> None:
    url = "http://192.168.1.10:11434/v1"
    result = run(tmp_path, options(llm_url=url, llm_model="llama3.2"))
    assert result.argv is not None
    assert flag_values(result.argv, "--llm-url") == [url]
    assert flag_values(result.argv, "--llm-model") == ["llama3.2"]
    settings = hub_settings(result.argv)
    assert (settings.llm.url, settings.llm.model) == (url, "llama3.2")


def test_llm_url_without_model_stops_the_add_on(tmp_path: Path) -> None:
    result = run_script(RUN_SCRIPT, tmp_path, options(llm_url="http://ollama:11434/v1"))
    assert result.returncode != 0
    assert result.argv is None
    assert "FATAL: llm_url is set: set llm_model too" in result.stderr


def test_llm_model_without_url_is_ignored(tmp_path: Path) -> None:
    result = run(tmp_path, options(llm_model="llama3.2"))
    assert result.argv is not None
    assert "--llm-model" not in result.argv and "--llm-url" not in result.argv
    assert "WARNING: llm_model is set without llm_url" in result.stderr


def test_mqtt_from_the_supervisor(tmp_path: Path) -> None:
    result = run(tmp_path, options(), services={"mqtt": MOSQUITTO})
    assert result.argv is not None
    [url] = flag_values(result.argv, "--mqtt")
    assert url == "mqtt://core-mosquitto:1883", "no credentials in the URL"
    assert hub_settings(result.argv).mqtt.enabled
    env = hub_env(tmp_path)
    assert env["HOMEVOICE_MQTT_USERNAME"] == "addons"
    assert env["HOMEVOICE_MQTT_PASSWORD"] == "Eeh9eiv7"
    assert "MQTT broker: mqtt://core-mosquitto:1883 as addons" in result.stderr
    assert not any("Eeh9eiv7" in arg for arg in result.argv)
    assert "Eeh9eiv7" not in result.stderr


def test_mqtt_credentials_reach_the_hub_unchanged(tmp_path: Path) -> None:
    user, password = "hv user@home", "p@ss:w/rd%&?#é+"
    service = {**MOSQUITTO, "username": user, "password": password}
    result = run(tmp_path, options(), services={"mqtt": service})
    assert result.argv is not None
    [url] = flag_values(result.argv, "--mqtt")
    broker = BrokerAddress.parse(url)
    assert (broker.username, broker.password) == (None, None)
    assert (broker.host, broker.port, broker.tls) == ("core-mosquitto", 1883, False)
    env = hub_env(tmp_path)
    assert (env["HOMEVOICE_MQTT_USERNAME"], env["HOMEVOICE_MQTT_PASSWORD"]) == (user, password)
    # What the hub builds from its argv and that environment: the broker with the login.
    hub_broker = settings_from_args(parser().parse_args(result.argv), env).mqtt.broker()
    assert (hub_broker.host, hub_broker.username, hub_broker.password) == (
        "core-mosquitto",
        user,
        password,
    )
    assert password not in result.stderr and not any(password in arg for arg in result.argv)


def test_mqtt_over_tls(tmp_path: Path) -> None:
    service = {**MOSQUITTO, "ssl": True, "port": 8883}
    result = run(tmp_path, options(), services={"mqtt": service})
    assert result.argv is not None
    [url] = flag_values(result.argv, "--mqtt")
    assert url == "mqtts://core-mosquitto:8883"
    assert BrokerAddress.parse(url).tls


def test_mqtt_without_credentials(tmp_path: Path) -> None:
    service = {k: v for k, v in MOSQUITTO.items() if k not in ("username", "password")}
    result = run(tmp_path, options(), services={"mqtt": service})
    assert result.argv is not None
    assert flag_values(result.argv, "--mqtt") == ["mqtt://core-mosquitto:1883"]
    env = hub_env(tmp_path)
    assert "HOMEVOICE_MQTT_USERNAME" not in env and "HOMEVOICE_MQTT_PASSWORD" not in env


@pytest.mark.parametrize(
    ("log_level", "debug_logging", "expected"),
    [
        ("info", False, "info"),
        ("debug", False, "debug"),
        ("warning", False, "warning"),
        ("error", True, "debug"),
    ],
)
def test_log_level(tmp_path: Path, log_level: str, debug_logging: bool, expected: str) -> None:
    result = run(tmp_path, options(log_level=log_level, debug_logging=debug_logging))
    assert result.argv is not None
    assert flag_values(result.argv, "--log-level") == [expected]
    assert f"LOGLEVEL: {expected}" in result.stderr
    assert hub_settings(result.argv).log_level == expected


def test_listed_satellites(tmp_path: Path) -> None:
    uris = ["tcp://kitchen.local:10700", "tcp://192.168.1.31:10700"]
    result = run(tmp_path, options(control_satellites="listed", satellites=uris))
    assert result.argv is not None
    assert flag_values(result.argv, "--control-satellites") == ["listed"]
    assert flag_values(result.argv, "--satellite") == uris
    settings = hub_settings(result.argv)
    assert settings.satellites.control is ControlMode.LISTED
    assert list(settings.satellites.uris) == uris


def test_zeroconf(tmp_path: Path) -> None:
    result = run(tmp_path, options(zeroconf=True))
    assert result.argv is not None
    assert "--no-zeroconf" not in result.argv
    assert flag_values(result.argv, "--zeroconf-name") == [f"homevoice-hub-{socket.gethostname()}"]
    settings = hub_settings(result.argv)
    assert settings.zeroconf


def test_every_option_reaches_the_hub(tmp_path: Path) -> None:
    """Each option changes the flags: none is read under a wrong name or forgotten."""
    with_llm = options(llm_url="http://llm:8080/v1", llm_model="qwen")
    base = run(tmp_path, with_llm).argv
    changed = {
        "stt_model": "base.en",
        "tts_voice": "en_GB-alan-low",
        "wake_words": ["alexa"],
        "llm_url": "http://other:8080/v1",
        "llm_model": "llama3.2",
        "control_satellites": "all",
        "satellites": ["tcp://sat:10700"],
        "zeroconf": True,
        "log_level": "warning",
        "debug_logging": True,
    }
    # api_token and llm_api_key go to the environment instead: see the tests below
    assert set(changed) | {"api_token", "llm_api_key"} == set(config()["schema"])
    for key, value in changed.items():
        assert with_llm.get(key) != value, key
        argv = run(tmp_path, {**with_llm, key: value}).argv
        assert argv is not None and argv != base, key
        hub_settings(argv)


def test_the_api_token_reaches_the_hub_through_its_environment_only(tmp_path: Path) -> None:
    token = "a-long-enough-api-token"
    result = run(tmp_path, options(api_token=token))
    assert result.argv is not None and not any(token in arg for arg in result.argv)
    assert hub_env(tmp_path)["HOMEVOICE_HTTP_TOKEN"] == token
    assert token not in result.stderr  # nor in the add-on's log
    assert hub_settings(result.argv).http_port == config()["ingress_port"] == 10380

    run(tmp_path, options())
    assert "HOMEVOICE_HTTP_TOKEN" not in hub_env(tmp_path)


def test_the_llm_api_key_reaches_the_hub_through_its_environment_only(tmp_path: Path) -> None:
    key = "sk-the-llm-servers-key"
    llm = {"llm_url": "https://llm.example/v1", "llm_model": "qwen"}
    result = run(tmp_path, options(**llm, llm_api_key=key))
    assert result.argv is not None and not any(key in arg for arg in result.argv)
    assert hub_env(tmp_path)["HOMEVOICE_LLM_API_KEY"] == key
    assert key not in result.stderr
    assert "--llm-url" in result.argv

    run(tmp_path, options(**llm))
    assert "HOMEVOICE_LLM_API_KEY" not in hub_env(tmp_path)


def test_an_llm_api_key_without_llm_url_is_ignored(tmp_path: Path) -> None:
    result = run(tmp_path, options(llm_api_key="sk-the-llm-servers-key"))
    assert "HOMEVOICE_LLM_API_KEY" not in hub_env(tmp_path)
    assert "WARNING: llm_api_key is set without llm_url" in result.stderr
    assert "sk-the-llm-servers-key" not in result.stderr


def test_no_secret_is_on_the_command_line_or_in_the_log(tmp_path: Path) -> None:
    secrets = {
        "HOMEVOICE_HTTP_TOKEN": "token-0123456789abcdef",
        "HOMEVOICE_LLM_API_KEY": "sk-llm-0123456789",
        "HOMEVOICE_MQTT_PASSWORD": "mqtt-pw-0123456789",
    }
    assert set(secrets) == set(SECRETS)
    opts = options(
        api_token=secrets["HOMEVOICE_HTTP_TOKEN"],
        llm_url="https://llm.example/v1",
        llm_model="qwen",
        llm_api_key=secrets["HOMEVOICE_LLM_API_KEY"],
    )
    service = {**MOSQUITTO, "password": secrets["HOMEVOICE_MQTT_PASSWORD"]}
    result = run(tmp_path, opts, services={"mqtt": service})
    assert result.argv is not None
    env = hub_env(tmp_path)
    for name, secret in secrets.items():
        assert env[name] == secret
        assert not any(secret in arg for arg in result.argv), name
        assert secret not in result.stderr, name
    # What the log does say: the whole command line, the broker without a password.
    assert f"Starting homevoice-hub as homevoice: {' '.join(result.argv)}" in result.stderr
