"""Where the add-on's files are, and their parsed contents."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "addon"
ROOTFS = ADDON / "rootfs"
S6 = ROOTFS / "etc" / "s6-overlay" / "s6-rc.d"
RUN_SCRIPT = S6 / "homevoice" / "run"
DISCOVERY_SCRIPT = S6 / "discovery" / "run"
HEALTHCHECK = ROOTFS / "usr" / "local" / "bin" / "homevoice-healthcheck"
BASHIO_STUB = Path(__file__).resolve().parent / "bashio_stub.sh"


def load_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as file:
        return yaml.safe_load(file)


def config() -> dict[str, Any]:
    """addon/config.yaml."""
    loaded = load_yaml(ADDON / "config.yaml")
    assert isinstance(loaded, dict)
    return loaded


def project_version() -> str:
    """The package version in pyproject.toml."""
    with open(REPO / "pyproject.toml", "rb") as file:
        return str(tomllib.load(file)["project"]["version"])
