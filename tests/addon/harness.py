"""Run the add-on's s6 scripts outside the add-on: bash, the bashio stub, and fake programs.

The scripts start with `#!/command/with-contenv bashio`; the real `bashio` turns on errexit,
errtrace, nounset and pipefail, sources its library and then sources the script. run_script()
does exactly that with tests/addon/bashio_stub.sh in place of the library, so the script text
under test is the one shipped, unchanged. Programs the scripts call (homevoice-hub,
homevoice-healthcheck) are replaced by fakes put first on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .files import BASHIO_STUB

# The run script percent-encodes with jq (in every Home Assistant base image), and so does the stub.
needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")

BASHIO = 'set -o errexit -o errtrace -o nounset -o pipefail; source "$0"; source "$1"'


@dataclass
class Result:
    returncode: int
    stderr: str
    argv: list[str] | None  # what the fake homevoice-hub got; None if it never ran
    discovery: list[tuple[str, Any]]  # (service, config) sent with bashio::discovery


def run_script(
    script: Path,
    tmp: Path,
    options: dict[str, Any],
    services: dict[str, dict[str, Any]] | None = None,
    fakes: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """Run `script` with these add-on options and Supervisor services; fakes: name -> sh body."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    argv_file = tmp / "hub-argv"
    discovery_file = tmp / "discovery"
    for path in (argv_file, discovery_file):
        path.unlink(missing_ok=True)
    programs = {
        "homevoice-hub": 'printf "%s\\0" "$@" > "$HUB_ARGV_FILE"',
        # s6's privilege drop: records the user, then runs the program as the test's user.
        "s6-setuidgid": 'printf "%s" "$1" > "$HUB_ARGV_FILE.user"; shift; exec "$@"',
        "chown": 'printf "%s\\n" "$*" >> "$HUB_ARGV_FILE.chown"',
        **(fakes or {}),
    }
    for name, body in programs.items():
        fake = bin_dir / name
        fake.write_text(f"#!/bin/sh\n{body}\n")
        fake.chmod(0o755)
    options_file = tmp / "options.json"
    options_file.write_text(json.dumps(options))
    services_dir = tmp / "services"
    services_dir.mkdir(exist_ok=True)
    for old in services_dir.iterdir():
        old.unlink()
    for name, info in (services or {}).items():
        (services_dir / f"{name}.json").write_text(json.dumps(info))
    full_env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp),
        "LC_ALL": "C.UTF-8",
        "BASHIO_OPTIONS": str(options_file),
        "BASHIO_SERVICES_DIR": str(services_dir),
        "BASHIO_DISCOVERY_FILE": str(discovery_file),
        "HUB_ARGV_FILE": str(argv_file),
        "HOMEVOICE_SHARE_DIR": str(tmp / "no-share"),
        "HOMEVOICE_MODELS_DIR": str(tmp / "data" / "models"),
        **(env or {}),
    }
    proc = subprocess.run(
        ["bash", "-c", BASHIO, str(BASHIO_STUB), str(script)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    argv = argv_file.read_bytes().decode().split("\0")[:-1] if argv_file.exists() else None
    discovery: list[tuple[str, Any]] = []
    if discovery_file.exists():
        for line in discovery_file.read_text().splitlines():
            service, _, data = line.partition(" ")
            discovery.append((service, json.loads(data)))
    return Result(proc.returncode, proc.stderr, argv, discovery)
