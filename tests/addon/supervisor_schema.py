"""What the Supervisor accepts in an add-on's config.yaml, written from its documentation
(developers.home-assistant.io, "Add-on configuration"): the keys and their types, the option
schema types, and default options that satisfy their schema.

`config_problems(config)` returns one line per problem; an empty list means the config passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

ARCHES = {"armhf", "armv7", "aarch64", "amd64", "i386"}
MAP_TYPES = {
    "homeassistant_config",
    "addon_config",
    "ssl",
    "addons",
    "backup",
    "share",
    "media",
    "all_addon_configs",
    "data",
}
PRIVILEGES = {
    "BPF",
    "CHECKPOINT_RESTORE",
    "DAC_READ_SEARCH",
    "IPC_LOCK",
    "NET_ADMIN",
    "NET_RAW",
    "PERFMON",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
}

SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")
PORT_KEY = re.compile(r"^[0-9]+/(tcp|udp)$")
SERVICE = re.compile(r"^(mqtt|mysql):(want|need|provide)$")
MAP_ENTRY = re.compile(r"^(?P<type>[a-z_]+)(:(?P<mode>rw|ro))?$")
# An image name without a tag (the Supervisor adds `version`); {arch} is filled in per machine.
DOCKER_IMAGE = re.compile(r"^([a-zA-Z\-\.:\d{}]+/)*?([\-\w{}]+)/([\-\w{}]+)$")

Check = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return bool(parsed.scheme) and bool(parsed.netloc)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _one_of(*allowed: str) -> Check:
    return lambda value: value in allowed


def _ports(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and PORT_KEY.match(k) and (v is None or (_is_int(v) and 1 <= v <= 65535))
        for k, v in value.items()
    )


def _ports_description(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and PORT_KEY.match(k) and isinstance(v, str) and v
        for k, v in value.items()
    )


def _map_entry(entry: Any) -> bool:
    if isinstance(entry, str):
        match = MAP_ENTRY.match(entry)
        return match is not None and match["type"] in MAP_TYPES
    if isinstance(entry, dict):
        return (
            entry.get("type") in MAP_TYPES
            and set(entry) <= {"type", "read_only", "path"}
            and isinstance(entry.get("read_only", False), bool)
            and (
                "path" not in entry
                or (isinstance(entry["path"], str) and entry["path"] not in ("", "/"))
            )
        )
    return False


def _ulimits(value: Any) -> bool:
    return isinstance(value, dict) and all(
        _is_int(v)
        or (isinstance(v, dict) and set(v) <= {"soft", "hard"} and all(map(_is_int, v.values())))
        for v in value.values()
    )


REQUIRED: dict[str, Check] = {
    "name": lambda v: isinstance(v, str) and bool(v),
    "version": lambda v: isinstance(v, str) and bool(v),
    "slug": lambda v: isinstance(v, str) and bool(SLUG.match(v)),
    "description": lambda v: isinstance(v, str) and bool(v),
    "arch": lambda v: isinstance(v, list) and bool(v) and set(v) <= ARCHES,
}

OPTIONAL: dict[str, Check] = {
    "machine": _str_list,
    "url": _is_url,
    "startup": _one_of("initialize", "system", "services", "application", "once"),
    "webui": _is_str,
    "boot": _one_of("auto", "manual", "manual_only"),
    "ports": _ports,
    "ports_description": _ports_description,
    "host_network": _is_bool,
    "host_ipc": _is_bool,
    "host_dbus": _is_bool,
    "host_pid": _is_bool,
    "host_uts": _is_bool,
    "devices": _str_list,
    "homeassistant": _is_str,
    "hassio_role": _one_of("default", "homeassistant", "backup", "manager", "admin"),
    "hassio_api": _is_bool,
    "homeassistant_api": _is_bool,
    "docker_api": _is_bool,
    "privileged": lambda v: isinstance(v, list) and set(v) <= PRIVILEGES,
    "full_access": _is_bool,
    "apparmor": lambda v: isinstance(v, bool | str),
    "map": lambda v: isinstance(v, list) and all(map(_map_entry, v)),
    "environment": lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v),
    "audio": _is_bool,
    "video": _is_bool,
    "gpio": _is_bool,
    "usb": _is_bool,
    "uart": _is_bool,
    "udev": _is_bool,
    "devicetree": _is_bool,
    "kernel_modules": _is_bool,
    "stdin": _is_bool,
    "legacy": _is_bool,
    "options": lambda v: isinstance(v, dict),
    "schema": lambda v: isinstance(v, dict) or v is False,
    "image": lambda v: isinstance(v, str) and bool(DOCKER_IMAGE.match(v)),
    "codenotary": _is_str,
    "timeout": _is_int,
    "tmpfs": _is_bool,
    "discovery": _str_list,
    "services": lambda v: _str_list(v) and all(SERVICE.match(s) for s in v),
    "auth_api": _is_bool,
    "ingress": _is_bool,
    "ingress_port": _is_int,
    "ingress_entry": _is_str,
    "ingress_stream": _is_bool,
    "panel_icon": _is_str,
    "panel_title": _is_str,
    "panel_admin": _is_bool,
    "backup": _one_of("hot", "cold"),
    "backup_pre": _is_str,
    "backup_post": _is_str,
    "backup_exclude": _str_list,
    "advanced": _is_bool,
    "stage": _one_of("stable", "experimental", "deprecated"),
    "init": _is_bool,
    "watchdog": _is_str,
    "realtime": _is_bool,
    "journald": _is_bool,
    "breaking_versions": _str_list,
    "ulimits": _ulimits,
}

# The option types of the documented list, each optionally followed by `?` (optional).
_NUM = r"-?[0-9]+(\.[0-9]+)?"
_RANGED = re.compile(rf"^(?P<type>str|int|float)(\((?P<min>{_NUM})?,(?P<max>{_NUM})?\))?$")
_PLAIN = re.compile(r"^(?P<type>bool|email|url|password|port)$")
_MATCH = re.compile(r"^match\((?P<regex>.+)\)$")
_LIST = re.compile(r"^list\((?P<values>[^|()]+(\|[^|()]+)*)\)$")
_DEVICE = re.compile(r"^device(\((?P<filter>subsystem=[A-Za-z0-9_]+)\))?$")


def type_problem(type_string: Any) -> str | None:
    """Why `type_string` is not an option type the Supervisor knows, or None."""
    if not isinstance(type_string, str):
        return f"{type_string!r} is not a type string"
    base = type_string.removesuffix("?")
    if _RANGED.match(base) or _PLAIN.match(base) or _LIST.match(base) or _DEVICE.match(base):
        return None
    match = _MATCH.match(base)
    if match:
        try:
            re.compile(match["regex"])
        except re.error as err:
            return f"{type_string!r}: bad regular expression ({err})"
        return None
    return f"{type_string!r} is not one of the documented option types"


def value_problem(type_string: str, value: Any) -> str | None:
    """Why `value` does not satisfy `type_string` (a valid type string), or None."""
    base = type_string.removesuffix("?")
    ranged = _RANGED.match(base)
    if ranged:
        kind = ranged["type"]
        if kind == "str":
            ok = isinstance(value, str)
            size = len(value) if ok else 0
        elif kind == "int":
            ok = _is_int(value)
            size = value if ok else 0
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            size = value if ok else 0
        if not ok:
            return f"{value!r} is not a {kind}"
        if ranged["min"] is not None and size < float(ranged["min"]):
            return f"{value!r} is below the minimum of {type_string}"
        if ranged["max"] is not None and size > float(ranged["max"]):
            return f"{value!r} is above the maximum of {type_string}"
        return None
    checks: dict[str, Check] = {
        "bool": _is_bool,
        "email": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[^@\s]+@[^@\s]+", v)),
        "url": _is_url,
        "password": _is_str,
        "port": lambda v: _is_int(v) and 1 <= v <= 65535,
    }
    if base in checks:
        return None if checks[base](value) else f"{value!r} is not a valid {base}"
    match = _MATCH.match(base)
    if match:
        if isinstance(value, str) and re.fullmatch(match["regex"], value):
            return None
        return f"{value!r} does not match {match['regex']}"
    listed = _LIST.match(base)
    if listed:
        allowed = listed["values"].split("|")
        return None if value in allowed else f"{value!r} is not one of {allowed}"
    if _DEVICE.match(base):
        return None if isinstance(value, str) and value.startswith("/dev/") else f"{value!r}"
    return f"unknown type {type_string!r}"


def _optional(entry: Any) -> bool:
    """A `?` type, or a list whose item type ends with `?`, may be left out of the options."""
    if isinstance(entry, list) and entry:
        entry = entry[0]
    return isinstance(entry, str) and entry.endswith("?")


def _schema_problems(path: str, entry: Any, depth: int) -> list[str]:
    """`depth`: how many lists and dicts enclose `entry` (0 for a top-level option)."""
    if isinstance(entry, str):
        problem = type_problem(entry)
        return [f"schema.{path}: {problem}"] if problem else []
    if isinstance(entry, list | dict) and depth >= 2:
        return [f"schema.{path}: nested deeper than two levels"]
    if isinstance(entry, list):
        if len(entry) != 1:
            return [f"schema.{path}: a list schema holds exactly one item type"]
        return _schema_problems(f"{path}[]", entry[0], depth + 1)
    if isinstance(entry, dict):
        problems: list[str] = []
        for key, sub in entry.items():
            problems += _schema_problems(f"{path}.{key}", sub, depth + 1)
        return problems
    return [f"schema.{path}: {entry!r} is neither a type, a list nor a dict"]


def _option_problems(path: str, entry: Any, value: Any) -> list[str]:
    if isinstance(entry, str):
        if value is None:
            return [f"options.{path}: null default (the add-on would not start as installed)"]
        problem = value_problem(entry, value)
        return [f"options.{path}: {problem}"] if problem else []
    if isinstance(entry, list):
        if not isinstance(value, list):
            return [f"options.{path}: {value!r} is not a list"]
        problems: list[str] = []
        for i, item in enumerate(value):
            problems += _option_problems(f"{path}[{i}]", entry[0], item)
        return problems
    if not isinstance(value, dict):
        return [f"options.{path}: {value!r} is not a dict"]
    return _dict_problems(path, entry, value)


def _dict_problems(path: str, schema: dict[str, Any], options: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    prefix = f"{path}." if path else ""
    for key in options:
        if key not in schema:
            problems.append(f"options.{prefix}{key}: has no schema entry")
    for key, entry in schema.items():
        if key in options:
            if _optional(entry) and options[key] is not None and not isinstance(entry, list):
                problems.append(
                    f"options.{prefix}{key}: an optional ('?') option must have no default"
                )
            problems += _option_problems(f"{prefix}{key}", entry, options[key])
        elif not _optional(entry):
            problems.append(f"schema.{prefix}{key}: required but has no default in options")
    return problems


def config_problems(config: Any) -> list[str]:
    """Everything in `config` (a parsed config.yaml) the Supervisor would refuse."""
    if not isinstance(config, dict):
        return ["config.yaml is not a mapping"]
    problems: list[str] = []
    for key, check in REQUIRED.items():
        if key not in config:
            problems.append(f"{key}: required key missing")
        elif not check(config[key]):
            problems.append(f"{key}: {config[key]!r} is not valid")
    for key, value in config.items():
        if key in REQUIRED:
            continue
        if key not in OPTIONAL:
            problems.append(f"{key}: not a documented add-on configuration key")
        elif not OPTIONAL[key](value):
            problems.append(f"{key}: {value!r} is not valid")
    ports = config.get("ports") or {}
    for port in config.get("ports_description") or {}:
        if port not in ports:
            problems.append(f"ports_description.{port}: not a port in ports")
    schema = config.get("schema")
    options = config.get("options") or {}
    if isinstance(schema, dict) and isinstance(options, dict):
        for key, entry in schema.items():
            problems += _schema_problems(key, entry, 0)
        problems += _dict_problems("", schema, options)
    elif options and schema is None:
        problems.append("options: given without a schema")
    return problems
