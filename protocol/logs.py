"""Logging set-up shared by the hub and the satellite."""

from __future__ import annotations

import logging

LEVELS = ("debug", "info", "warning", "error")


def setup_logging(level: str) -> None:
    """Log to stderr with timestamps; our loggers at `level`, third-party ones at warning."""
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    numeric = getattr(logging, level.upper())
    for name in ("hub", "satellite", "protocol", "__main__"):
        logging.getLogger(name).setLevel(numeric)
