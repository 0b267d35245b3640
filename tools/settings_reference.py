"""The settings reference (`docs/settings.md`), generated from the settings dataclasses.

Each row comes from the code: the key and default from the frozen dataclasses, the flag from
the command-line parsers, the meaning from the example config's comment for that key (or
`MEANINGS` where the example has none). `tests/protocol/test_settings_reference.py` fails when
the file, the flags or the meanings drift from the code.

    python -m tools.settings_reference --write    # regenerate docs/settings.md
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import typing
from enum import Enum
from pathlib import Path
from typing import Any

from hub.cli import parser as hub_parser
from hub.settings import HubSettings
from protocol.environment import leaves
from satellite.cli import parser as satellite_parser
from satellite.settings import SatelliteSettings

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "docs" / "settings.md"

# flag -> the setting it overrides, per program
HUB_FLAGS = {
    "--uri": "uri", "--device": "device", "--stt-model": "stt.model",
    "--tts-voice": "tts.voice", "--wake-word": "wake.words", "--data-dir": "data_dirs",
    "--allow-download": "allow_download", "--no-zeroconf": "zeroconf",
    "--zeroconf-name": "zeroconf_name", "--mqtt": "mqtt.url", "--llm-url": "llm.url",
    "--llm-model": "llm.model", "--satellite": "satellites.uris",
    "--control-satellites": "satellites.control", "--http-port": "http_port",
    "--http-token-file": "http.token_file",
    "--log-level": "log_level",
}  # fmt: skip
SATELLITE_FLAGS = {
    "--name": "name", "--area": "area", "--uri": "uri", "--mic-command": "mic.command",
    "--mic-auto-gain": "mic.auto_gain_dbfs", "--mic-noise-suppression": "mic.noise_suppression",
    "--snd-command": "snd.command", "--snd-rate": "snd.rate_hz", "--wake-word": "wake.words",
    "--no-zeroconf": "zeroconf", "--mqtt": "mqtt.url", "--log-level": "log_level",
}  # fmt: skip

# Defaults that depend on the machine, and meanings the example configs do not carry.
DEFAULTS = {("satellite", "name"): "the host name"}
MEANINGS = {
    "stt.language": "language for multilingual models (English-only models ignore it)",
    "stt.beam_size": "beam search width, 1..10 (1 = greedy, fastest)",
    "mqtt.discovery_prefix": "Home Assistant's discovery prefix",
    "mqtt.username": "user name on the broker (instead of user@ in mqtt.url)",
    "mqtt.password": "password on the broker (instead of user:pass@ in mqtt.url)",
    "http.token": "the API's bearer token (at least 16 characters); empty: the API is open",
    "mqtt.keepalive_s": "MQTT keepalive, 15..3600 s",
    "home.max_entities": "the most devices learned from discovery",
    "home.command_prefixes": "if set, a discovered device whose command topic starts with none "
    "of these is ignored",
    "llm.url": "OpenAI-compatible API for what the local sentences do not match; empty = off",
    "llm.model": "the model name on that server",
    "llm.api_key": "bearer token for that server, if it needs one",
    "llm.timeout_s": "a spoken 'sorry' comes back when the model is slower",
    "llm.temperature": "sampling temperature",
    "llm.max_tokens": "longest answer, in tokens",
    "llm.history_turns": "turns remembered per conversation id",
    "llm.conversations": "conversations remembered at once",
    "limits.max_line_bytes": "longest Wyoming header line a peer may send",
    "limits.max_data_bytes": "largest Wyoming JSON data block a peer may send",
    "limits.max_payload_bytes": "largest Wyoming binary payload (audio) a peer may send",
    "limits.idle_timeout_s": "a peer silent this long is disconnected",
    "limits.frame_timeout_s": "a frame that was started must finish within this",
    "limits.write_timeout_s": "a peer that stops reading this long is disconnected",
    "limits.max_connections": "Wyoming connections at once; when full, the oldest that sent "
    "nothing yet is dropped to make room",
    "limits.max_connections_per_address": "Wyoming connections at once from one address; "
    "0 = no cap",
    "limits.first_frame_timeout_s": "a new connection that sends nothing this long is closed",
    "limits.linger_max_bytes": "after refusing a peer, at most this much of what it still sends "
    "is read (so it can read why) before the close",
    "limits.linger_timeout_s": "and for at most this long",
    "limits.allowed_networks": "Wyoming clients only from these networks (CIDR, e.g. "
    "192.168.1.0/24); empty = any",
    "snd.channels": "channels the snd command expects",
    "mic.command": "prints raw PCM on stdout (e.g. arecord); restarted when it exits",
    "snd.command": "a command that plays raw PCM from stdin (e.g. aplay), started per answer",
    "wake.threshold": "detection threshold, 0..1",
    "mic.stall_s": "a mic command silent this long is restarted",
    "mic.auto_gain_dbfs": "WebRTC automatic gain toward this level below full scale, 1..31 dB; "
    "0 = off",
    "mic.noise_suppression": "WebRTC noise suppression, 1 (light) .. 4 (strongest); 0 = off",
    "sounds.awake": "WAV played after the wake word",
    "sounds.done": "WAV played at the end of the command",
    "sounds.timer_finished": "WAV played when a timer ends (default: a built-in chime)",
}


@dataclasses.dataclass(frozen=True)
class Row:
    """One setting of one program."""

    key: str
    variable: str
    type_name: str
    default: str
    flag: str
    meaning: str


def _type_name(hint: Any) -> str:
    if isinstance(hint, type) and issubclass(hint, Enum):
        return " \\| ".join(str(member.value) for member in hint)
    origin = typing.get_origin(hint)
    if origin is tuple:
        return f"list of {_type_name(typing.get_args(hint)[0])}"
    if origin is dict:
        return "mapping"
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if args and len(args) < len(typing.get_args(hint)):
        return f"{_type_name(args[0])} or null"
    return {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}.get(
        getattr(hint, "__name__", str(hint)), getattr(hint, "__name__", str(hint))
    )


def _default_text(value: Any) -> str:
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value is None:
        return "`null`"
    if isinstance(value, tuple | list):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value}`"
    if value == "":
        return '`""`'
    return f"`{value}`"


def example_comments(path: Path) -> dict[str, str]:
    """`dotted.key` → the comment on its line in an example YAML file."""
    comments: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*):(.*)$", line)
        if not match:
            continue
        indent, key, rest = len(match[1]), match[2], match[3]
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([k for _, k in stack] + [key])
        stack.append((indent, key))
        comment = rest.split(" # ", 1)[1].strip() if " # " in rest else ""
        if rest.strip().startswith("#"):
            comment = rest.strip().lstrip("#").strip()
        if comment:
            comments[dotted] = comment
    return comments


def rows(program: str) -> list[Row]:
    """The reference rows of `hub` or `satellite`."""
    if program == "hub":
        cls: type = HubSettings
        flags, example = HUB_FLAGS, REPO / "config" / "hub.yaml"
    else:
        cls, flags, example = SatelliteSettings, SATELLITE_FLAGS, REPO / "config" / "satellite.yaml"
    comments = example_comments(example)
    by_key = {key: flag for flag, key in flags.items()}
    found = []
    for leaf in leaves(cls):
        key = leaf.key
        meaning = MEANINGS.get(key) or comments.get(key, "")
        if leaf.secret:
            meaning = f"**secret**: {meaning}; best from `{leaf.variable}_FILE`"
        shown = DEFAULTS.get((program, key)) or _default_text(leaf.default)
        flag = f"`{by_key[key]}`" if key in by_key else ""
        found.append(Row(key, f"`{leaf.variable}`", _type_name(leaf.hint), shown, flag, meaning))
    return found


def render() -> str:
    """The whole of docs/settings.md."""
    out = [
        "# Settings reference",
        "",
        "Generated from the settings code by `python -m tools.settings_reference --write`; a test",
        "fails when this file differs from the code.",
        "",
        "Every setting can be given three ways, and the first of these that sets it wins:",
        "",
        "1. a **flag** on the command line (the column *flag*; not every setting has one);",
        "2. an **environment variable**, `HOMEVOICE_<SECTION>_<KEY>` (the column *environment*),",
        "   or the same name with `_FILE` added, naming a file that holds the value (Docker",
        "   secrets, systemd credentials): `HOMEVOICE_MQTT_PASSWORD_FILE=/run/secrets/mqtt`;",
        "3. the **YAML file** given with `--config` (nested keys: `stt.model` is",
        "   `stt: {model: …}`);",
        "",
        "then the default. In the environment, `true`/`false` (also 1/0, yes/no, on/off) are",
        "yes and no, a list is `a,b` or `[a, b]`, a mapping is YAML or JSON. Secrets (passwords,",
        "tokens, keys) never appear in an error, a log line or `/api`; give them through the",
        "environment or a file, never a flag (`ps` shows every process's flags). A variable",
        "`HOMEVOICE_…` that is no setting but close to one is named in a warning at start.",
        "Hub and satellite read the same names: on a machine that runs both, give each its own.",
        "Examples with comments: [`config/hub.yaml`](../config/hub.yaml) and "
        "[`config/satellite.yaml`](../config/satellite.yaml).",
        "",
    ]
    titles = {"hub": "Hub (`homevoice-hub`)", "satellite": "Satellite (`homevoice-satellite`)"}
    for program, title in titles.items():
        out += [f"## {title}", "", "| YAML key | environment | flag | type | default | meaning |"]
        out += ["|---|---|---|---|---|---|"]
        for row in rows(program):
            meaning = row.meaning.replace("|", "\\|")
            out.append(
                f"| `{row.key}` | {row.variable} | {row.flag} | {row.type_name} | {row.default} "
                f"| {meaning} |"
            )
        out.append("")
    return "\n".join(out)


def parser_flags(program: str) -> set[str]:
    """Every option of the program's command line, but `--config`, `--help` and `--version`."""
    parser: argparse.ArgumentParser = hub_parser() if program == "hub" else satellite_parser()
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option not in ("--config", "--help", "--version")
    }


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--write", action="store_true", help=f"write {OUTPUT.relative_to(REPO)}")
    options = args.parse_args(argv)
    text = render()
    if options.write:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
