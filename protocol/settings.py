"""Typed settings from YAML and command-line overrides, validated with errors that name the key."""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml

T = TypeVar("T")

# `field(metadata=SECRET, repr=False)`: a password or token; its value is never shown.
SECRET = {"secret": True}


class SettingsError(ValueError):
    """A setting with a bad value; `key` is dotted (`stt.beam_size`)."""

    def __init__(self, key: str, value: Any, reason: str) -> None:
        super().__init__(f"invalid setting {key} = {value!r}: {reason}")
        self.key = key
        self.value = value
        self.reason = reason


def secret(default: str = "") -> Any:
    """A dataclass field for a secret: not in repr, never in an error message."""
    return dataclasses.field(default=default, repr=False, metadata=SECRET)


def is_secret(field: dataclasses.Field[Any]) -> bool:
    """Whether the field holds a secret."""
    return bool(field.metadata.get("secret"))


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; an empty file is an empty mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SettingsError("--config", str(path), f"cannot read: {err.strerror}") from err
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SettingsError("--config", str(path), f"not valid YAML: {err}") from err
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise SettingsError("--config", str(path), "the top level must be a mapping of settings")
    return loaded


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `overrides` into a copy of `base`; None values in overrides are skipped."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            continue
        current = merged.get(key)
        if isinstance(value, dict) and (current is None or isinstance(current, dict)):
            nested = merge(current or {}, value)
            if nested:
                merged[key] = nested
        else:
            merged[key] = value
    return merged


def build(cls: type[T], raw: Any, prefix: str = "") -> T:
    """Build the frozen dataclass `cls` from a mapping, checking keys and types."""
    if not isinstance(raw, dict):
        raise SettingsError(prefix or "<root>", raw, "must be a mapping")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise SettingsError(
                _join(prefix, str(key)), raw[key], f"unknown setting (known: {known})"
            )
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in raw:
            try:
                values[name] = _coerce(hints[name], raw[name], _join(prefix, name))
            except SettingsError as err:
                if is_secret(field):
                    raise SettingsError(err.key, "***", err.reason) from None
                raise
    try:
        return cls(**values)
    except SettingsError as err:
        if prefix and not err.key.startswith(f"{prefix}."):
            raise SettingsError(_join(prefix, err.key), err.value, err.reason) from None
        raise


def check(condition: bool, key: str, value: Any, reason: str) -> None:
    """Raise SettingsError unless `condition` holds (for `__post_init__` validation)."""
    if not condition:
        raise SettingsError(key, value, reason)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _coerce(hint: Any, value: Any, key: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(option, value, key)
            except SettingsError as err:
                errors.append(err.reason)
        raise SettingsError(key, value, " or ".join(errors))
    if origin is tuple:
        (item,) = get_args(hint)[:1]
        if isinstance(value, str | int | float):
            value = [value]
        if not isinstance(value, list | tuple):
            raise SettingsError(key, value, "must be a list")
        return tuple(_coerce(item, v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        key_type, value_type = get_args(hint)
        if not isinstance(value, dict):
            raise SettingsError(key, value, "must be a mapping")
        return {
            _coerce(key_type, k, key): _coerce(value_type, v, f"{key}.{k}")
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(hint):
        return build(hint, value, key)  # type: ignore[arg-type]
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise SettingsError(key, value, "must be true or false")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise SettingsError(key, value, "must be an integer")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise SettingsError(key, value, "must be a number")
    if hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise SettingsError(key, value, "must be a string")
    if isinstance(hint, type) and issubclass(hint, Path):
        if isinstance(value, str | Path):
            return Path(value).expanduser()
        raise SettingsError(key, value, "must be a path")
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError as err:
            choices = ", ".join(str(m.value) for m in hint)
            raise SettingsError(key, value, f"must be one of {choices}") from err
    raise SettingsError(key, value, f"unsupported setting type {hint!r}")
