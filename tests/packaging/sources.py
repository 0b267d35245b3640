"""Small readers for the packaging files: Dockerfile instructions, pip command lines, README code
blocks and .dockerignore patterns, enough for the tests to check what they say."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

DOCKERFILE = REPO / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, its continuation lines joined."""

    keyword: str
    value: str
    line: int

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form CMD, ENTRYPOINT or HEALTHCHECK CMD."""
        text = self.value.split("CMD", 1)[1] if self.keyword == "HEALTHCHECK" else self.value
        parsed = json.loads(text.strip())
        assert isinstance(parsed, list) and all(isinstance(item, str) for item in parsed)
        return parsed


def instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """The file's instructions; comment lines (inside continuations too) are dropped."""
    found: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1].strip() if continued else stripped)
        if not continued:
            keyword, _, value = " ".join(pending).partition(" ")
            found.append(Instruction(keyword.upper(), value.strip(), start))
            pending = []
    assert not pending, f"{path.name}: the last instruction ends in a line continuation"
    return found


def stages(found: list[Instruction]) -> list[list[Instruction]]:
    """The instructions of each build stage, each list starting with its FROM."""
    result: list[list[Instruction]] = []
    for instruction in found:
        if instruction.keyword == "FROM":
            result.append([instruction])
        elif result:
            result[-1].append(instruction)
    return result


def global_args(found: list[Instruction]) -> dict[str, str]:
    """ARG defaults declared before the first FROM."""
    args: dict[str, str] = {}
    for instruction in found:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG":
            name, _, default = instruction.value.partition("=")
            args[name.strip()] = default.strip().strip('"')
    return args


def substitute(text: str, variables: dict[str, str]) -> str:
    """${NAME} and $NAME replaced by their values."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables[m.group(1) or m.group(2)], text)


def resolve_base_image(found: list[Instruction], build_args: dict[str, str]) -> str:
    """The external image the final stage is built on, following stage names."""
    variables = {**global_args(found), **build_args}
    named: dict[str, str] = {}
    image = ""
    for stage in stages(found):
        source, *name = re.split(r"\s+as\s+", substitute(stage[0].value, variables), flags=re.I)
        image = named.get(source.strip(), source.strip())
        if name:
            named[name[0].strip()] = image
    return image


@dataclass(frozen=True)
class PipCommand:
    """One `pip install` or `pip uninstall`: its verb, options and the requirements it names."""

    verb: str
    options: tuple[str, ...]
    targets: tuple[str, ...]


_PIP = re.compile(r"(?:^|[\s/])pip3? (install|uninstall)\b([^;&|\n]*)")
_VALUED_OPTIONS = {"-r", "-c", "-e", "-i", "-t", "--index-url", "--extra-index-url", "--target"}


def pip_commands(shell: str) -> list[PipCommand]:
    """The pip commands in a shell text (up to the next ;, && or ||; comments dropped)."""
    commands: list[PipCommand] = []
    for match in _PIP.finditer(shell):
        words = shlex.split(match.group(2), comments=True)
        options: list[str] = []
        targets: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            if word.startswith("-"):
                options.append(word)
                if word in _VALUED_OPTIONS and index + 1 < len(words):
                    index += 1
                    options.append(words[index])
            else:
                targets.append(word)
            index += 1
        commands.append(PipCommand(match.group(1), tuple(options), tuple(targets)))
    return commands


def dockerfile_pip_commands(found: list[Instruction]) -> list[PipCommand]:
    """Every pip command in the Dockerfile's RUN instructions."""
    return [cmd for i in found if i.keyword == "RUN" for cmd in pip_commands(i.value)]


def normalize_target(target: str) -> str:
    """A requirement, comparable: `.[b,a]` → `.[a,b]`, `Foo_Bar>=1,<2` → `foo-bar<2,>=1`."""
    local = re.fullmatch(r"\.(?:\[([^\]]*)\])?", target)
    if local:
        extras = sorted(e.strip() for e in (local.group(1) or "").split(",") if e.strip())
        return f".[{','.join(extras)}]" if extras else "."
    requirement = Requirement(target)
    specifier = ",".join(sorted(str(s) for s in requirement.specifier))
    return f"{canonicalize_name(requirement.name)}{specifier}"


def local_extras(target: str) -> set[str]:
    """The extras of a `.[…]` requirement (empty for anything else)."""
    local = re.fullmatch(r"\.\[([^\]]*)\]", target)
    return {e.strip() for e in local.group(1).split(",")} if local else set()


def code_blocks(markdown: str) -> list[str]:
    """The contents of the fenced code blocks of a Markdown text."""
    return re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def shell_lines(block: str) -> list[str]:
    """A shell code block's commands, backslash continuations joined."""
    return block.replace("\\\n", " ").splitlines()


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Whether Docker leaves `path` (relative, with /) out of the build context.

    As Docker's pattern matcher: `*` and `?` stop at /, `**` matches any number of directories,
    a pattern that matches a directory leaves out everything below it, the last match wins and
    `!` brings a path back.
    """
    excluded = False
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            out, index = out + ".*", index + 2
        elif pattern[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif pattern[index] == "?":
            out, index = out + "[^/]", index + 1
        elif pattern[index] == "[":
            end = pattern.index("]", index)
            out, index = out + pattern[index : end + 1], end + 1
        else:
            out, index = out + re.escape(pattern[index]), index + 1
    return re.compile(out)


def dockerignore_patterns(path: Path = REPO / ".dockerignore") -> list[str]:
    """The patterns of a .dockerignore file, without comments and blank lines."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]
