"""`homevoice-satellite` / `python -m satellite`: the satellite's command line."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from protocol.lifecycle import run_until_signal
from protocol.logs import LEVELS, setup_logging
from protocol.settings import SettingsError, build, load_yaml, merge

from .settings import SatelliteSettings

_LOGGER = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    """The flags; every one overrides the same setting in --config."""
    p = argparse.ArgumentParser(
        prog="homevoice-satellite",
        description="homevoice satellite: wake word, end of speech and audio for a Wyoming "
        "controller (Home Assistant or the homevoice hub).",
    )
    p.add_argument("--config", type=Path, help="YAML settings file (flags override it)")
    p.add_argument("--name", help="satellite name shown in Home Assistant (default: hostname)")
    p.add_argument("--area", help="area (room) suggested to Home Assistant")
    p.add_argument("--uri", help="listen address, tcp://HOST:PORT (default tcp://0.0.0.0:10700)")
    p.add_argument(
        "--mic-command",
        help="command printing raw PCM, e.g. 'arecord -r 16000 -c 1 -f S16_LE -t raw'",
    )
    p.add_argument(
        "--snd-command",
        help="command playing raw PCM from stdin, e.g. 'aplay -r 22050 -c 1 -f S16_LE -t raw'",
    )
    p.add_argument("--snd-rate", type=int, help="sample rate the snd command expects (22050)")
    p.add_argument(
        "--wake-word",
        action="append",
        help="local wake word, name (hey_jarvis) or model path (repeatable); without one (or "
        "with 'none') all audio streams to the controller, which detects the wake word",
    )
    p.add_argument("--no-zeroconf", action="store_true", help="do not announce on the LAN")
    p.add_argument("--mqtt", help="MQTT broker URL mqtt://[user:pass@]host[:port], or none")
    p.add_argument("--log-level", choices=LEVELS, help="debug, info (default), warning, error")
    return p


def settings_from_args(args: argparse.Namespace) -> SatelliteSettings:
    """Merge the config file and the flags into validated settings."""
    raw: dict[str, Any] = load_yaml(args.config) if args.config else {}
    overrides: dict[str, Any] = {
        "name": args.name,
        "area": args.area,
        "uri": args.uri,
        "mic": {"command": args.mic_command},
        "snd": {"command": args.snd_command, "rate_hz": args.snd_rate},
        "wake": {"words": [] if args.wake_word == ["none"] else args.wake_word},
        "zeroconf": False if args.no_zeroconf else None,
        "mqtt": {"url": args.mqtt},
        "log_level": args.log_level,
    }
    return build(SatelliteSettings, merge(raw, overrides))


def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM; exit non-zero on bad settings or missing models."""
    args = parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except SettingsError as err:
        print(f"homevoice-satellite: {err}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)

    from .app import load_satellite, serve
    from .wake import WakeModelNotFound

    try:
        satellite = load_satellite(settings)
    except (WakeModelNotFound, ValueError, RuntimeError) as err:
        print(f"homevoice-satellite: {err}", file=sys.stderr)
        return 1

    return run_until_signal(
        "homevoice-satellite", settings.uri, lambda stop: serve(settings, satellite, stop)
    )


if __name__ == "__main__":
    sys.exit(main())
