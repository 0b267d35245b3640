"""Where the add-on image gets homevoice from (addon/install-homevoice.sh, as the Dockerfile runs
it): a wheel of its version, else the project's own source archive of that version's tag, else a
clear failure; never a package index by name. curl and pip3 are stubbed."""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging.sources import instructions, pip_commands
from tools.project_home import read_home

from .files import ADDON, config, load_yaml

SCRIPT = ADDON / "install-homevoice.sh"
VERSION: str = config()["version"]

# Records its arguments; for a source directory, also the pyproject.toml it found there.
FAKE_PIP = """#!/bin/sh
printf '%s\\n' "$*" >> "$CALLS/pip"
for arg in "$@"; do
    dir="${arg%\\[*}"
    if [ -f "$dir/pyproject.toml" ]; then cp "$dir/pyproject.toml" "$CALLS/installed-pyproject"; fi
done
"""
# Serves $ARCHIVE for the URL (the last argument), or fails as curl -f does on a 404.
FAKE_CURL = """#!/bin/sh
for arg in "$@"; do url="$arg"; done
printf '%s\\n' "$url" >> "$CALLS/curl"
out=""
while [ $# -gt 0 ]; do
    if [ "$1" = "-o" ]; then out="$2"; shift; fi
    shift
done
if [ -n "${ARCHIVE:-}" ]; then cp "$ARCHIVE" "$out"; exit 0; fi
echo "curl: (22) The requested URL returned error: 404" >&2
exit 22
"""


@dataclass
class Install:
    returncode: int
    output: str
    pip: list[str]
    curl: list[str]
    installed_pyproject: str | None


def source_archive(path: Path, name: str, version: str) -> Path:
    """A GitHub-style archive: one top directory holding the project."""
    pyproject = f'[project]\nname = "{name}"\nversion = "{version}"\n'.encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(f"{name}-{version}/pyproject.toml")
        info.size = len(pyproject)
        tar.addfile(info, io.BytesIO(pyproject))
    return path


def install(tmp: Path, wheels: Sequence[str] = (), archive: Path | None = None) -> Install:
    bin_dir, calls, wheel_dir = tmp / "bin", tmp / "calls", tmp / "wheels"
    for folder in (bin_dir, calls, wheel_dir):
        folder.mkdir(exist_ok=True)
    for name, body in {"pip3": FAKE_PIP, "curl": FAKE_CURL}.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    for wheel in wheels:
        (wheel_dir / wheel).write_bytes(b"")
    build_args = load_yaml(ADDON / "build.yaml")["args"]
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "CALLS": str(calls),
        "HOMEVOICE_VERSION": str(build_args["HOMEVOICE_VERSION"]),
        "HOMEVOICE_HOME": str(build_args["HOMEVOICE_HOME"]),
        "HOMEVOICE_WHEELS": str(wheel_dir),
        "HOMEVOICE_SOURCE_DIR": str(tmp / "homevoice-src"),
    }
    if archive is not None:
        env["ARCHIVE"] = str(archive)
    proc = subprocess.run(
        ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    def lines(name: str) -> list[str]:
        path = calls / name
        return path.read_text().splitlines() if path.exists() else []

    installed = calls / "installed-pyproject"
    return Install(
        proc.returncode,
        proc.stdout + proc.stderr,
        lines("pip"),
        lines("curl"),
        installed.read_text() if installed.exists() else None,
    )


def test_the_archive_of_the_version_tag_is_installed(tmp_path: Path) -> None:
    archive = source_archive(tmp_path / "v.tar.gz", "homevoice", VERSION)
    result = install(tmp_path, wheels=["homevoice-0.0.1-py3-none-any.whl"], archive=archive)
    assert result.returncode == 0, result.output
    assert result.curl == [read_home().archive(VERSION)]
    assert result.curl == [
        f"https://github.com/homevoice/homevoice/archive/refs/tags/v{VERSION}.tar.gz"
    ]
    assert result.pip == [f"install --no-cache-dir {tmp_path / 'homevoice-src'}[hub,models]"]
    assert result.installed_pyproject is not None
    assert f'version = "{VERSION}"' in result.installed_pyproject
    assert not (tmp_path / "homevoice-src").exists(), "the unpacked source is removed"


def test_a_wheel_of_the_version_comes_first(tmp_path: Path) -> None:
    wheel = f"homevoice-{VERSION}-py3-none-any.whl"
    result = install(tmp_path, wheels=["homevoice-0.0.1-py3-none-any.whl", wheel])
    assert result.returncode == 0, result.output
    assert result.pip == [f"install --no-cache-dir {tmp_path / 'wheels' / wheel}[hub,models]"]
    assert result.curl == [], "nothing is downloaded"


def test_no_archive_and_no_wheel_stops_the_build_with_a_message(tmp_path: Path) -> None:
    result = install(tmp_path, wheels=["homevoice-0.0.1-py3-none-any.whl"])
    assert result.returncode == 1
    assert result.pip == [], "no fallback install of any kind"
    assert f"cannot download {read_home().archive(VERSION)}" in result.output
    assert f"is the tag v{VERSION} published?" in result.output
    assert "pip wheel --no-deps -w addon/wheels ." in result.output


@pytest.mark.parametrize(("name", "version"), [("homevoice", "0.0.1"), ("something-else", VERSION)])
def test_an_archive_of_another_project_or_version_is_refused(
    tmp_path: Path, name: str, version: str
) -> None:
    archive = source_archive(tmp_path / "v.tar.gz", name, version)
    result = install(tmp_path, archive=archive)
    assert result.returncode == 1
    assert result.pip == []
    assert f"not homevoice {VERSION}" in result.output


def test_nothing_is_installed_by_name_from_a_package_index() -> None:
    script = SCRIPT.read_text()
    dockerfile = (ADDON / "Dockerfile").read_text()
    for text in (script, dockerfile):
        assert not re.search(r"homevoice(\[[^\]]*\])?\s*(==|>=|~=|@)", text)
        assert "--index-url" not in text and "--extra-index-url" not in text
    targets = [t for c in pip_commands(script) if c.verb == "install" for t in c.targets]
    assert targets == ["${wheel}${extras}", "${source_dir}${extras}"], "local paths only"
    assert 'extras="[hub,models]"' in script


def test_the_dockerfile_runs_the_script_with_the_build_args() -> None:
    found = instructions(ADDON / "Dockerfile")
    args = dict(i.value.split("=", 1) for i in found if i.keyword == "ARG" and "=" in i.value)
    build_args = load_yaml(ADDON / "build.yaml")["args"]
    assert args["HOMEVOICE_VERSION"] == build_args["HOMEVOICE_VERSION"] == VERSION
    assert args["HOMEVOICE_HOME"] == build_args["HOMEVOICE_HOME"] == read_home().url
    copies = [i.value for i in found if i.keyword == "COPY"]
    assert "install-homevoice.sh /usr/src/" in copies and "wheels/ /usr/src/wheels/" in copies
    [run] = [i.value for i in found if i.keyword == "RUN" and "install-homevoice.sh" in i.value]
    assert "sh install-homevoice.sh" in run
    # The script's pip3 is the image's environment: PATH is set before it runs.
    env = next(n for n, i in enumerate(found) if i.keyword == "ENV" and ".venv/bin" in i.value)
    assert env < next(n for n, i in enumerate(found) if i.value == run)
    subprocess.run(["sh", "-n", str(SCRIPT)], check=True)
