"""Settings from environment variables: `HOMEVOICE_<SECTION>_<KEY>`, or `…_FILE` naming a file.

Every leaf setting of a settings dataclass has one variable: the dotted key upper-cased with
dots turned into underscores (`mqtt.url` → `HOMEVOICE_MQTT_URL`, `http_port` →
`HOMEVOICE_HTTP_PORT`). `HOMEVOICE_MQTT_PASSWORD_FILE=/run/secrets/mqtt` reads the value from a
file instead (Docker and systemd credentials), its last line break dropped. Values are text and
are read as the setting's type: `true`/`false` (also 1/0, yes/no, on/off), numbers, lists as
`a,b` or `[a, b]`, mappings as YAML or JSON. A secret's value never appears in an error.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import types
import typing
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml

from .logs import setup_logging
from .settings import SettingsError, build, is_secret, merge
from .version import home_url, package_version

T = TypeVar("T")
_LOGGER = logging.getLogger(__name__)

PREFIX = "HOMEVOICE"
FILE_SUFFIX = "_FILE"
MAX_FILE_BYTES = 65536

SETTINGS_EPILOG = (
    "Every setting can also come from the environment (HOMEVOICE_<SECTION>_<KEY>, e.g. "
    "HOMEVOICE_MQTT_PASSWORD; or HOMEVOICE_..._FILE naming a file that holds the value) and "
    "from the YAML file of --config. Flags win over the environment, the environment over the "
    f"file, the file over the defaults. Every setting: docs/settings.md ({home_url()}"
    "/blob/main/docs/settings.md)."
)

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One setting that holds a value (not a section): its dotted key, type, field, default."""

    key: str
    hint: Any
    field: dataclasses.Field[Any]
    default: Any
    secret: bool

    @property
    def variable(self) -> str:
        """Its environment variable."""
        return variable_name(self.key)


def variable_name(key: str) -> str:
    """`mqtt.url` → `HOMEVOICE_MQTT_URL`."""
    return f"{PREFIX}_{key.replace('.', '_').upper()}"


def leaves(cls: type, prefix: str = "", section: Any = None) -> Iterator[Leaf]:
    """Every leaf setting of the settings dataclass `cls`, sections walked in order; a leaf's
    default is its section's (the satellite's `limits` differ from FrameLimits' own)."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        key = f"{prefix}{field.name}"
        default = _default(field) if section is None else getattr(section, field.name)
        if dataclasses.is_dataclass(hint):
            yield from leaves(hint, f"{key}.", default)  # type: ignore[arg-type]
        else:
            yield Leaf(key, hint, field, default, is_secret(field))


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


def from_environment(cls: type, environ: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The settings of `cls` that `environ` sets, as a raw nested mapping for `build`, and
    one warning per `HOMEVOICE_…` variable that looks like a misspelt setting."""
    raw: dict[str, Any] = {}
    known = {leaf.variable: leaf for leaf in leaves(cls)}
    for variable, leaf in known.items():
        text = _read(variable, leaf.secret, environ, known)
        if text is None:
            continue
        value = _parse(leaf.hint, text, variable, leaf.secret)
        section = raw
        *parents, name = leaf.key.split(".")
        for parent in parents:
            section = section.setdefault(parent, {})
        section[name] = value
    return raw, _misspelt(environ, known)


def start_logging(program: str, cls: type, log_level: str, environ: Mapping[str, str]) -> None:
    """The program's logging, then its first lines: misspelt variables, the version."""
    setup_logging(log_level)
    for warning in from_environment(cls, environ)[1]:
        _LOGGER.warning("%s", warning)
    _LOGGER.info("%s %s starting", program, package_version())


def build_layered(
    cls: type[T], base: Mapping[str, Any], flags: Mapping[str, Any], environ: Mapping[str, str]
) -> T:
    """`cls` from `flags` over `base` (the file merged with the environment, see `layered`);
    an error about a value the environment gave names its variable."""
    try:
        return build(cls, merge(dict(base), dict(flags)))
    except SettingsError as err:
        variable = variable_name(err.key)
        given = [name for name in (variable, variable + FILE_SUFFIX) if name in environ]
        if given and _lookup(flags, err.key) is None:
            raise SettingsError(err.key, err.value, f"{err.reason} (set by {given[0]})") from None
        raise


def layered(cls: type, file_raw: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The environment's settings over the file's: what the flags then override."""
    env_raw, _ = from_environment(cls, environ)
    return merge(dict(file_raw), env_raw)


def _lookup(raw: Mapping[str, Any], key: str) -> Any:
    value: Any = raw
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _read(
    variable: str, secret: bool, environ: Mapping[str, str], known: Mapping[str, Leaf]
) -> str | None:
    """The variable's text, from itself or from the file its `_FILE` twin names."""
    file_variable = variable + FILE_SUFFIX
    if file_variable in known:  # a setting of its own (http.token_file): not a twin
        return environ.get(variable)
    if file_variable not in environ:
        return environ.get(variable)
    if variable in environ:
        raise SettingsError(variable, "…", f"set either {variable} or {file_variable}, not both")
    path = Path(environ[file_variable]).expanduser()
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise SettingsError(file_variable, str(path), f"cannot read: {err.strerror}") from err
    if len(data) > MAX_FILE_BYTES:
        raise SettingsError(file_variable, str(path), f"longer than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SettingsError(file_variable, str(path), "not UTF-8 text") from err
    return text.removesuffix("\n").removesuffix("\r")


def _parse(hint: Any, text: str, variable: str, secret: bool) -> Any:
    """The text of a variable read as the setting's type (`build` checks the rest)."""
    shown = "***" if secret else text
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [option for option in get_args(hint) if option is not type(None)]
        if text.strip().lower() in ("", "null", "none") and len(options) < len(get_args(hint)):
            return None
        hint, origin = options[0], get_origin(options[0])
    if origin is tuple:
        (item,) = get_args(hint)[:1]
        return [_parse(item, part, variable, secret) for part in _list(text, variable, shown)]
    if origin is dict:
        return _yaml(text, dict, "a YAML or JSON mapping", variable, shown)
    word = text.strip()
    if hint is bool:
        if word.lower() in _TRUE:
            return True
        if word.lower() in _FALSE:
            return False
        raise SettingsError(variable, shown, "must be true or false (1/0, yes/no, on/off)")
    if hint is int:
        try:
            return int(word)
        except ValueError:
            raise SettingsError(variable, shown, "must be an integer") from None
    if hint is float:
        try:
            return float(word)
        except ValueError:
            raise SettingsError(variable, shown, "must be a number") from None
    if isinstance(hint, type) and issubclass(hint, Enum):
        return word
    return text


def _yaml(text: str, kind: type[T], what: str, variable: str, shown: str) -> T:
    """`text` read as YAML, which must give a `kind`; SettingsError naming `what` otherwise."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise SettingsError(variable, shown, f"must be {what}: {err}") from err
    if not isinstance(loaded, kind):
        raise SettingsError(variable, shown, f"must be {what}")
    return loaded


def _list(text: str, variable: str, shown: str) -> list[str]:
    """`a,b` or `[a, b]` (YAML flow); empty text is an empty list."""
    stripped = text.strip()
    if stripped.startswith("["):
        loaded = _yaml(stripped, list, "a list: a,b or [a, b]", variable, shown)
        return [str(item) for item in loaded]
    return [part.strip() for part in stripped.split(",") if part.strip()]


def _misspelt(environ: Mapping[str, str], known: Mapping[str, Leaf]) -> list[str]:
    """A warning for each `HOMEVOICE_…` name that is no setting but is close to one."""
    names = set(known) | {name + FILE_SUFFIX for name in known}
    warnings = []
    for name in sorted(environ):
        if not name.startswith(f"{PREFIX}_") or name in names:
            continue
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.85)
        if close:
            warnings.append(f"{name} is not a setting; did you mean {close[0]}?")
    return warnings
