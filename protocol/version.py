"""The installed homevoice version and the attribution every node reports in `info`."""

from __future__ import annotations

import functools
import re
from importlib.metadata import PackageNotFoundError, metadata, version
from pathlib import Path

from wyoming.info import Attribution

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@functools.cache  # read once: discovery documents ask for it on every (re)connect
def home_url() -> str:
    """The project's home page: `[project.urls] Homepage` in pyproject.toml, its one place."""
    if _PYPROJECT.is_file():  # a source checkout: the file itself, even before a reinstall
        match = re.search(r'^Homepage\s*=\s*"([^"]+)"', _PYPROJECT.read_text("utf-8"), re.M)
        if match:
            return match[1]
    try:
        urls = metadata("homevoice").get_all("Project-URL") or []
    except PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "homepage":
            return url.strip()
    return ""


HOMEVOICE = Attribution(name="homevoice", url=home_url())


def package_version() -> str:
    """The installed homevoice version."""
    try:
        return version("homevoice")
    except PackageNotFoundError:
        return "0.0.0+unknown"
