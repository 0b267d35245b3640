"""The build context: .dockerignore keeps what `pip install '.[hub,models]'` reads and leaves out
environments, outputs, caches and secrets."""

from __future__ import annotations

import subprocess
import tomllib

import pytest

from tests.conftest import REPO
from tests.packaging.sources import dockerignore_excludes, dockerignore_patterns

LEFT_OUT = [
    ".git/HEAD",
    ".github/workflows/images.yaml",
    ".venv/bin/python",
    ".peers/bin/python",
    ".wsat/bin/python",
    ".ha-venv/bin/python",
    ".env",
    "out/demo-answer.wav",
    "data/tiny.en/model.bin",
    "homevoice.egg-info/PKG-INFO",
    "hub/__pycache__/app.cpython-313.pyc",
    ".mypy_cache/3.11/hub",
    "tests/conftest.py",
    "demo/__main__.py",
    "testing/simsat.py",
    "bench/e2e.py",
    "addon/wheels/homevoice-0.1.0-py3-none-any.whl",
]


def needed_for_pip_install() -> list[str]:
    """pyproject.toml, its readme and every tracked file of the packages it builds."""
    with (REPO / "pyproject.toml").open("rb") as file:
        config = tomllib.load(file)
    readme = config["project"]["readme"]
    packages = [p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]]
    tracked = subprocess.run(
        ["git", "ls-files", *packages], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, f"git ls-files found nothing under {packages}"
    return ["pyproject.toml", readme, *tracked]


def test_the_context_keeps_what_pip_install_reads() -> None:
    patterns = dockerignore_patterns()
    dropped = [path for path in needed_for_pip_install() if dockerignore_excludes(patterns, path)]
    assert not dropped, f".dockerignore leaves out what pip install needs: {dropped[:5]}"


@pytest.mark.parametrize("path", LEFT_OUT)
def test_the_context_leaves_out(path: str) -> None:
    assert dockerignore_excludes(dockerignore_patterns(), path)


def test_the_pattern_matcher_follows_docker() -> None:
    assert dockerignore_excludes(["**/*.pyc"], "a/b/c.pyc")
    assert dockerignore_excludes(["**/*.pyc"], "c.pyc")
    assert not dockerignore_excludes(["*.pyc"], "a/c.pyc")
    assert dockerignore_excludes(["out"], "out/x/y")
    assert not dockerignore_excludes(["out"], "outside.txt")
    assert not dockerignore_excludes(["docs", "!docs/keep.md"], "docs/keep.md")
