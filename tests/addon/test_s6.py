"""The s6-overlay v3 services: their wiring, their scripts, and the discovery oneshot."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from .files import DISCOVERY_SCRIPT, S6
from .harness import needs_jq, run_script

SCRIPTS = [S6 / "homevoice" / "run", S6 / "homevoice" / "finish", DISCOVERY_SCRIPT]


def test_service_tree() -> None:
    assert (S6 / "homevoice" / "type").read_text().strip() == "longrun"
    assert (S6 / "discovery" / "type").read_text().strip() == "oneshot"
    # A oneshot's `up` is one execline command line: the script to run.
    assert (S6 / "discovery" / "up").read_text().strip() == (
        "/etc/s6-overlay/s6-rc.d/discovery/run"
    )
    assert (S6 / "homevoice" / "dependencies.d" / "base").is_file()
    assert (S6 / "discovery" / "dependencies.d" / "homevoice").is_file()
    services = {p.name for p in S6.iterdir() if p.is_dir() and p.name != "user"}
    assert {p.name for p in (S6 / "user" / "contents.d").iterdir()} == services
    for service in services:
        for dependency in (S6 / service / "dependencies.d").iterdir():
            assert dependency.name == "base" or dependency.name in services


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_scripts(script: Path) -> None:
    assert script.read_text().startswith("#!/command/with-contenv bashio\n")
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)


@needs_jq
def test_discovery_after_the_hub_answers(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    # Fails once (the hub is still loading), then answers.
    fake = f'echo "$@" >> {calls}; [ "$(wc -l < {calls})" -ge 2 ]'
    result = run_script(DISCOVERY_SCRIPT, tmp_path, {}, fakes={"homevoice-healthcheck": fake})
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == ["--port 10300", "--port 10300"]
    assert result.discovery == [("wyoming", {"uri": f"tcp://{socket.gethostname()}:10300"})]
    assert "Discovery information sent" in result.stderr


@needs_jq
def test_no_discovery_when_the_hub_never_answers(tmp_path: Path) -> None:
    result = run_script(
        DISCOVERY_SCRIPT,
        tmp_path,
        {},
        fakes={"homevoice-healthcheck": "exit 1"},
        env={"HOMEVOICE_DISCOVERY_WAIT_S": "0"},
    )
    # Not fatal for the add-on: the hub may still come up and be added by hand.
    assert result.returncode == 0, result.stderr
    assert result.discovery == []
    assert "ERROR: The hub did not answer on port 10300" in result.stderr
