"""addon/config.yaml and build.yaml against what the Supervisor documents it accepts."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from hub.cli import parser
from hub.settings import ControlMode

from .files import ADDON, config, load_yaml, project_version
from .supervisor_schema import config_problems, type_problem, value_problem


def test_config_passes_the_supervisor_schema() -> None:
    assert config_problems(config()) == []


def test_identity() -> None:
    cfg = config()
    assert cfg["slug"] == "homevoice"
    assert cfg["version"] == project_version()
    assert set(cfg["arch"]) == {"amd64", "aarch64"}
    # s6-overlay v3 is PID 1: Docker's own init must be off or the add-on does not start.
    assert cfg["init"] is False
    # Pulled prebuilt, one image per architecture, tagged with `version`.
    assert "{arch}" in cfg["image"]


def test_wyoming_wiring() -> None:
    cfg = config()
    assert cfg["ports"] == {"10300/tcp": None, "10380/tcp": None}
    assert set(cfg["ports_description"]) == {"10300/tcp", "10380/tcp"}
    assert cfg["discovery"] == ["wyoming"]
    assert cfg["services"] == ["mqtt:want"]


def test_the_dashboard_is_in_the_side_panel_through_ingress() -> None:
    cfg = config()
    assert cfg["ingress"] is True and cfg["ingress_port"] == 10380
    assert cfg["panel_icon"].startswith("mdi:") and cfg["panel_title"]
    assert cfg["schema"]["api_token"] == "password?"  # optional, shown as a password field


def test_models_are_left_out_of_backups() -> None:
    excluded = config()["backup_exclude"]
    assert "models*" in excluded and "*/models/*" in excluded


def test_stt_model_choices_are_names_the_hub_knows() -> None:
    from faster_whisper.utils import _MODELS

    schema = config()["schema"]["stt_model"]
    match = re.fullmatch(r"list\((.+)\)", schema)
    assert match, schema
    choices = match[1].split("|")
    assert choices[0] == "tiny.en" and config()["options"]["stt_model"] == "tiny.en"
    # Every name is one faster-whisper can download (tiny.en is also bundled).
    assert set(choices) <= set(_MODELS), set(choices) - set(_MODELS)


def test_choices_match_the_hub_flags() -> None:
    actions = {a.dest: a for a in parser()._actions}
    schema = config()["schema"]
    levels = re.fullmatch(r"list\((.+)\)", schema["log_level"])
    assert levels and set(levels[1].split("|")) == set(actions["log_level"].choices or [])
    control = re.fullmatch(r"list\((.+)\)", schema["control_satellites"])
    assert control and set(control[1].split("|")) == {m.value for m in ControlMode}
    # Inside Home Assistant, HA drives the satellites.
    assert config()["options"]["control_satellites"] == "none"


def test_build_yaml() -> None:
    build = load_yaml(ADDON / "build.yaml")
    assert set(build) <= {"build_from", "args", "labels", "codenotary"}
    assert set(build["build_from"]) == set(config()["arch"])
    for arch, image in build["build_from"].items():
        assert re.fullmatch(rf"ghcr\.io/home-assistant/{arch}-base-debian:[a-z0-9.-]+", image)
    assert build["args"]["HOMEVOICE_VERSION"] == config()["version"]
    assert set(build["args"]) == {"HOMEVOICE_VERSION", "HOMEVOICE_HOME"}


def test_dockerfile() -> None:
    text = (ADDON / "Dockerfile").read_text()
    assert text.startswith("ARG BUILD_FROM\nFROM ${BUILD_FROM}\n")
    assert f"ARG HOMEVOICE_VERSION={config()['version']}\n" in text
    assert "COPY rootfs /\n" in text
    assert re.search(r"HEALTHCHECK [^\n]*\\\n\s+CMD \[\"homevoice-healthcheck\"\]", text)
    # The hub and the offline default models (the package's extras): see test_install.py.
    assert "sh install-homevoice.sh" in text
    # The hub is found on PATH by the run script.
    assert 'ENV PATH="/usr/src/.venv/bin:${PATH}"' in text
    assert (ADDON / "wheels" / ".gitignore").is_file()


# The checker itself: each change below must be refused, or the test above proves nothing.
def _set(path: str, value: Any) -> Any:
    def change(cfg: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = cfg
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _drop(path: str) -> Any:
    def change(cfg: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = cfg
        for key in parents:
            node = node[key]
        del node[last]

    return change


BROKEN = {
    "no name": _drop("name"),
    "no version": _drop("version"),
    "no slug": _drop("slug"),
    "no description": _drop("description"),
    "no arch": _drop("arch"),
    "version not a string": _set("version", 1.0),
    "unknown arch": _set("arch", ["amd64", "riscv64"]),
    "bad slug": _set("slug", "home voice"),
    "init not a bool": _set("init", "false"),
    "unknown key": _set("gpu", True),
    "port without protocol": _set("ports", {"10300": None}),
    "port mapped to a string": _set("ports", {"10300/tcp": "10300"}),
    "description of no port": _set("ports_description", {"10400/tcp": "x"}),
    "discovery not a list": _set("discovery", "wyoming"),
    "unknown service": _set("services", ["redis:want"]),
    "unknown service function": _set("services", ["mqtt:use"]),
    "backup_exclude not a list": _set("backup_exclude", "models*"),
    "unknown map folder": _set("map", ["home:ro"]),
    "option without schema": _set("options.extra", 1),
    "schema without option": _set("schema.extra", "str"),
    "unknown schema type": _set("schema.log_level", "enum(debug|info)"),
    "bad int range": _set("schema.zeroconf", "int(1,x)"),
    "default not in list": _set("options.stt_model", "huge"),
    "default of the wrong type": _set("options.zeroconf", "no"),
    "null default": _set("options.tts_voice", None),
    "list item not matching": _set("options.satellites", ["http://x:1"]),
    "list option not a list": _set("options.wake_words", "okay_nabu"),
    "optional option with a default": _set("options.llm_model", "llama3.2"),
    "nested too deep": _set("schema.wake_words", [[["str"]]]),
    "image with a tag": _set("image", "ghcr.io/homevoice/{arch}-homevoice-addon:0.1.0"),
    "image without a namespace": _set("image", "homevoice-addon"),
}


@pytest.mark.parametrize("change", BROKEN.values(), ids=BROKEN.keys())
def test_checker_refuses(change: Any) -> None:
    cfg = copy.deepcopy(config())
    change(cfg)
    assert config_problems(cfg) != []


@pytest.mark.parametrize(
    "type_string",
    [
        "str",
        "str?",
        "str(3,)",
        "str(,10)",
        "bool",
        "int",
        "int(0,10)?",
        "float(-1.5,2)",
        "email",
        "url?",
        "password",
        "port",
        "match(^\\w*$)",
        "list(a|b|c)",
        "list(a)?",
        "device",
        "device(subsystem=tty)",
    ],
)
def test_documented_types_are_known(type_string: str) -> None:
    assert type_problem(type_string) is None


@pytest.mark.parametrize("type_string", ["string", "int(a,b)", "list()", "match([)", "bool??"])
def test_unknown_types_are_refused(type_string: str) -> None:
    assert type_problem(type_string) is not None


@pytest.mark.parametrize(
    ("type_string", "good", "bad"),
    [
        ("int(1,5)", 3, 6),
        ("int", 3, True),
        ("float", 0.5, "0.5"),
        ("port", 10300, 70000),
        ("url", "http://host:11434/v1", "host:11434"),
        ("email", "a@b.c", "ab.c"),
        ("str(2,)", "ab", "a"),
        ("list(x|y)", "y", "z"),
        ("match(^[a-z]+$)", "abc", "ABC"),
    ],
)
def test_values_against_types(type_string: str, good: Any, bad: Any) -> None:
    assert value_problem(type_string, good) is None
    assert value_problem(type_string, bad) is not None
