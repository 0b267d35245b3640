"""config/homevoice-satellite.service: a valid systemd unit that runs the satellite as the README
installs it, and the README's arecord/aplay lines in the format the satellite expects."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from protocol.settings import build, load_yaml
from satellite.cli import parser
from satellite.settings import SatelliteSettings
from tests.conftest import REPO
from tests.packaging.sources import code_blocks, shell_lines

UNIT = REPO / "config" / "homevoice-satellite.service"
README = REPO / "README.md"
EXAMPLE_CONFIG = REPO / "config" / "satellite.yaml"
ALSA_FORMATS = {"S16_LE": 2, "S32_LE": 4, "U8": 1}


def read_unit(text: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(text)
    return unit


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    return read_unit(UNIT.read_text())


def exec_start(unit: configparser.ConfigParser) -> list[str]:
    return shlex.split(unit["Service"]["ExecStart"])


def test_the_unit_starts_after_the_network_and_sound(unit: configparser.ConfigParser) -> None:
    assert "network-online.target" in unit["Unit"]["Wants"].split()
    assert {"network-online.target", "sound.target"} <= set(unit["Unit"]["After"].split())
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_satellite_restarts_after_a_failure(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert float(service["RestartSec"]) > 0
    # Exit code 2 is a bad setting (README): restarting cannot fix it.
    assert "2" in service.get("RestartPreventExitStatus", "").split()


def test_the_satellite_runs_as_a_user_in_the_audio_group(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]
    assert service["User"] not in {"root", "0"}
    assert "audio" in service["SupplementaryGroups"].split()
    assert Path(service["WorkingDirectory"]).is_absolute() or service["WorkingDirectory"] == "~"


def test_exec_start_runs_the_satellite_with_its_config(unit: configparser.ConfigParser) -> None:
    program, *args = exec_start(unit)
    assert Path(program).name == "homevoice-satellite" and Path(program).is_absolute()
    parsed = parser().parse_args(args)
    assert parsed.config is not None and parsed.config.is_absolute()


def test_the_readme_installs_the_config_where_the_unit_reads_it(
    unit: configparser.ConfigParser,
) -> None:
    readme = README.read_text()
    copied = re.search(r"Copy `config/satellite\.yaml` to `([^`]+)`", readme)
    assert copied, "README: 'Copy `config/satellite.yaml` to `PATH`' not found"
    config = parser().parse_args(exec_start(unit)[1:]).config
    assert str(config) == copied.group(1)
    assert EXAMPLE_CONFIG.exists()
    settings = build(SatelliteSettings, load_yaml(EXAMPLE_CONFIG))
    assert settings.mic.command


def test_the_readme_unit_runs_the_same_command(unit: configparser.ConfigParser) -> None:
    blocks = [b for b in code_blocks(README.read_text()) if "homevoice-satellite" in b]
    units = [read_unit(b) for b in blocks if "[Service]" in b]
    assert units, "README: no systemd unit ([Service] with ExecStart) in a code block"
    for shown in units:
        for key in ("User", "ExecStart"):
            assert shown["Service"][key] == unit["Service"][key], f"README and unit differ: {key}"


def test_systemd_finds_nothing_to_complain_about(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    program = exec_start(read_unit(UNIT.read_text()))[0]
    # The Pi's venv is not here: verify the unit with a program that exists.
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace(program, shutil.which("true") or "/bin/true"))
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


def alsa_raw_commands() -> list[list[str]]:
    """Every `arecord`/`aplay … -t raw` command in the README's code blocks and the example."""
    texts = [line for block in code_blocks(README.read_text()) for line in shell_lines(block)]
    texts += EXAMPLE_CONFIG.read_text().splitlines()
    found = re.findall(r"\b((?:arecord|aplay) [^'\"\n#]*-t raw)", "\n".join(texts))
    return [shlex.split(command) for command in found]


def option(words: list[str], flag: str) -> str:
    return words[words.index(flag) + 1]


def test_the_alsa_commands_match_the_satellite_audio_settings() -> None:
    settings = build(SatelliteSettings, load_yaml(EXAMPLE_CONFIG))
    commands = alsa_raw_commands()
    assert {c[0] for c in commands} == {"arecord", "aplay"}
    for words in commands:
        side = settings.mic if words[0] == "arecord" else settings.snd
        assert int(option(words, "-r")) == side.rate_hz, " ".join(words)
        assert int(option(words, "-c")) == side.channels, " ".join(words)
        assert ALSA_FORMATS[option(words, "-f")] == side.width, " ".join(words)
