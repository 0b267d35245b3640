"""The project's home URL is in one place (pyproject.toml [project.urls]); every other place that
names it agrees, and tools/project_home.py rewrites them all in one command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tools.project_home import PYPROJECT, Home, check, expected, read_home, set_home

NEW = "https://github.com/Someone-Else/voice"


def copy_of_the_places(tmp_path: Path) -> Path:
    """The files the tool reads and writes, copied to a scratch tree."""
    for path in [PYPROJECT, *expected(read_home())]:
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / path, target)
    return tmp_path


def test_every_place_agrees_with_the_home() -> None:
    home = read_home()
    assert home.url == "https://github.com/homevoice/homevoice"
    assert check() == []


def test_the_derived_names() -> None:
    home = Home.parse("https://github.com/Some-One/voice")
    assert home.registry == "ghcr.io/some-one", "ghcr.io names are lower case"
    assert home.addon_image == "ghcr.io/some-one/{arch}-homevoice-addon"
    assert home.hub_image == "ghcr.io/some-one/homevoice-hub"
    assert (
        home.archive("1.2.3") == "https://github.com/Some-One/voice/archive/refs/tags/v1.2.3.tar.gz"
    )
    assert home.store_link.endswith("?repository_url=https%3A%2F%2Fgithub.com%2FSome-One%2Fvoice")


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/homevoice/homevoice",
        "https://github.com/homevoice/homevoice/",
        "https://github.com/homevoice/homevoice.git",
        "http://github.com/homevoice/homevoice",
        "https://github.com/homevoice",
    ],
)
def test_only_a_github_repository_url_is_a_home(url: str) -> None:
    with pytest.raises(ValueError):
        Home.parse(url)


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        (
            "addon/config.yaml",
            "url: https://github.com/homevoice/homevoice",
            "url: https://x.invalid",
        ),
        ("addon/config.yaml", "ghcr.io/homevoice/{arch}", "ghcr.io/other/{arch}"),
        ("repository.yaml", "github.com/homevoice/", "github.com/other/"),
        (
            "addon/build.yaml",
            "HOMEVOICE_HOME: https://github.com/homevoice",
            "HOMEVOICE_HOME: https://github.com/fork",
        ),
        (
            "README.md",
            "git clone https://github.com/homevoice/",
            "git clone https://github.com/fork/",
        ),
        (
            "addon/DOCS.md",
            "repository_url=https%3A%2F%2Fgithub.com%2Fhomevoice",
            "repository_url=https%3A%2F%2Fgithub.com%2Ffork",
        ),
        (
            "Dockerfile",
            'source="https://github.com/homevoice/homevoice"',
            'source="https://x.invalid"',
        ),
        (".github/workflows/images.yaml", "REGISTRY: ghcr.io/homevoice", "REGISTRY: ghcr.io/fork"),
        (
            PYPROJECT,
            'Source = "https://github.com/homevoice/homevoice"',
            'Source = "https://github.com/fork/homevoice"',
        ),
    ],
    ids=lambda value: str(value)[:40],
)
def test_a_drifted_place_is_found(tmp_path: Path, path: str, before: str, after: str) -> None:
    root = copy_of_the_places(tmp_path)
    file = root / path
    text = file.read_text()
    assert before in text
    file.write_text(text.replace(before, after, 1))
    assert check(root) != []


def test_set_rewrites_every_place_and_back(tmp_path: Path) -> None:
    root = copy_of_the_places(tmp_path)
    original = {p: (root / p).read_bytes() for p in [PYPROJECT, *expected(read_home())]}
    changed = set_home(NEW, root)
    assert check(root) == []
    assert read_home(root) == Home.parse(NEW)
    for path in original:
        text = (root / path).read_text()
        assert "github.com/homevoice/homevoice" not in text, path
        assert "ghcr.io/homevoice/" not in text, path
    assert {p.relative_to(root).as_posix() for p in changed} == set(original)
    set_home("https://github.com/homevoice/homevoice", root)
    assert {p: (root / p).read_bytes() for p in original} == original


def test_the_command_line_checks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.project_home"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "every place names https://github.com/homevoice/homevoice" in result.stdout
