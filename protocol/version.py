"""The installed homevoice version and the attribution every node reports in `info`."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from wyoming.info import Attribution

HOMEVOICE = Attribution(name="homevoice", url="https://github.com/homevoice/homevoice")


def package_version() -> str:
    """The installed homevoice version."""
    try:
        return version("homevoice")
    except PackageNotFoundError:
        return "0.0.0+unknown"
