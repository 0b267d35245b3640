"""The command line of `homevoice-satellite`: flags, the environment, the file; then start."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from protocol.environment import SETTINGS_EPILOG, build_layered, layered, start_logging
from protocol.interrupt import exit_quietly_on_interrupt
from protocol.lifecycle import run_until_signal
from protocol.logs import LEVELS
from protocol.settings import SettingsError, load_yaml
from protocol.version import package_version

from .settings import SatelliteSettings


def parser() -> argparse.ArgumentParser:
    """The flags; every one overrides the same setting from the environment and --config."""
    p = argparse.ArgumentParser(
        prog="homevoice-satellite",
        description="homevoice satellite: wake word, end of speech and audio for a Wyoming "
        "controller (Home Assistant or the homevoice hub).",
        epilog=SETTINGS_EPILOG,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    p.add_argument("--config", type=Path, metavar="PATH", help="YAML settings file")
    p.add_argument(
        "--name", metavar="NAME", help="satellite name shown in Home Assistant (default: hostname)"
    )
    p.add_argument("--area", metavar="AREA", help="area (room) suggested to Home Assistant")
    p.add_argument(
        "--uri", metavar="URI", help="listen address, tcp://HOST:PORT (default tcp://0.0.0.0:10700)"
    )
    p.add_argument(
        "--mic-command",
        metavar="COMMAND",
        help="command printing raw PCM, e.g. 'arecord -r 16000 -c 1 -f S16_LE -t raw'",
    )
    p.add_argument(
        "--mic-auto-gain",
        type=int,
        metavar="DBFS",
        help="automatic gain toward this many dB below full scale, 1..31 (0 = off, default)",
    )
    p.add_argument(
        "--mic-noise-suppression",
        type=int,
        metavar="LEVEL",
        help="noise suppression, 1 (light) .. 4 (strongest); 0 = off (default)",
    )
    p.add_argument(
        "--snd-command",
        metavar="COMMAND",
        help="command playing raw PCM from stdin, e.g. 'aplay -r 22050 -c 1 -f S16_LE -t raw'",
    )
    p.add_argument(
        "--snd-rate", type=int, metavar="HZ", help="sample rate the snd command expects (22050)"
    )
    p.add_argument(
        "--wake-word",
        action="append",
        metavar="NAME|PATH",
        help="local wake word, name (hey_jarvis) or model path (repeatable); without one (or "
        "with 'none') all audio streams to the controller, which detects the wake word",
    )
    p.add_argument("--no-zeroconf", action="store_true", help="do not announce on the LAN")
    p.add_argument(
        "--mqtt",
        metavar="URL",
        help="MQTT broker, mqtt://HOST[:PORT] or mqtts://..., or none (the password goes in "
        "HOMEVOICE_MQTT_PASSWORD, not here: ps shows flags)",
    )
    p.add_argument("--log-level", choices=LEVELS, help="debug, info (default), warning, error")
    return p


def settings_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] = os.environ
) -> SatelliteSettings:
    """The flags over the environment over the config file over the defaults, validated."""
    raw = layered(SatelliteSettings, load_yaml(args.config) if args.config else {}, environ)
    overrides: dict[str, Any] = {
        "name": args.name,
        "area": args.area,
        "uri": args.uri,
        "mic": {
            "command": args.mic_command,
            "auto_gain_dbfs": args.mic_auto_gain,
            "noise_suppression": args.mic_noise_suppression,
        },
        "snd": {"command": args.snd_command, "rate_hz": args.snd_rate},
        "wake": {"words": [] if args.wake_word == ["none"] else args.wake_word},
        "zeroconf": False if args.no_zeroconf else None,
        "mqtt": {"url": args.mqtt},
        "log_level": args.log_level,
    }
    return build_layered(SatelliteSettings, raw, overrides, environ)


@exit_quietly_on_interrupt("homevoice-satellite")
def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM; exit non-zero on bad settings or missing models."""
    args = parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except SettingsError as err:
        print(f"homevoice-satellite: {err}", file=sys.stderr)
        return 2
    start_logging("homevoice-satellite", SatelliteSettings, settings.log_level, os.environ)

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
