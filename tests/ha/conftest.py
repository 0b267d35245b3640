"""Real Home Assistant (pytest-homeassistant-custom-component, in `.ha-venv`) against our hub and
satellite, which run as subprocesses of the project's own Python (`HOMEVOICE_PYTHON`).

Only `make ha-test` runs this tree: it sets `HOMEVOICE_HA_TEST=1` and runs pytest from
`.ha-venv` with `--confcutdir=tests/ha`, so that the project's `tests/conftest.py` (which needs
the project's packages) is not loaded here. Without the variable nothing here is collected, so
the normal `make test` run (project venv, no Home Assistant) skips the whole tree. This module
imports only the standard library and `bench` helpers that need nothing else.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.broker import Broker
from testing.hubproc import free_port, stop, wait_ready
from testing.satrig import Rig

if not os.environ.get("HOMEVOICE_HA_TEST"):
    collect_ignore_glob = ["test_*.py"]

REPO = Path(__file__).resolve().parent.parent.parent


def homevoice_python() -> str:
    """The project's Python (its `.venv`), which runs our hub and satellite."""
    return os.environ.get("HOMEVOICE_PYTHON") or str(REPO / ".venv" / "bin" / "python")


@contextlib.contextmanager
def sockets_allowed() -> Iterator[None]:
    """Let a session fixture use loopback sockets outside a test's `socket_enabled`."""
    import socket

    import pytest_socket

    if socket.socket is pytest_socket._true_socket:
        yield  # already enabled (`socket_enabled`)
        return
    pytest_socket.enable_socket()
    try:
        yield
    finally:
        pytest_socket.socket_allow_hosts(["127.0.0.1"])
        pytest_socket.disable_socket(allow_unix_socket=True)


@contextlib.contextmanager
def homevoice_server(
    module: str, args: list[str], log_path: Path, port: int | None = None
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`python -m hub|satellite` with the project's Python on loopback, until ready."""
    with sockets_allowed():
        port = port or free_port()
    command = [homevoice_python(), "-m", module, "--uri", f"tcp://127.0.0.1:{port}"]
    command += ["--no-zeroconf", "--log-level", "debug", *args]
    if module == "hub" and "--http-port" not in args:
        command += ["--http-port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        try:
            with sockets_allowed():
                wait_ready(proc, port, timeout_s=180)
            yield port, proc
        finally:
            stop(proc)
            print(f"{module} log: {log_path}")


@contextlib.contextmanager
def homevoice_satellite(workdir: Path, extra: list[str], name: str = "HA Kitchen") -> Iterator[Rig]:
    """Our satellite with the paced mic/snd stand-ins of `testing.pcm_pipe` (see bench/satrig)."""
    queue = workdir / "mic"
    queue.mkdir(parents=True, exist_ok=True)
    snd_out = workdir / "snd.raw"
    log = workdir / "satellite.log"
    python = homevoice_python()
    args = [
        "--name",
        name,
        "--area",
        "Kitchen",
        "--mic-command",
        f"{python} -m testing.pcm_pipe mic --queue {queue}",
        "--snd-command",
        f"{python} -m testing.pcm_pipe snd --rate 22050 --out {snd_out}",
        "--snd-rate",
        "22050",
        *extra,
    ]
    node_id = "satellite_" + name.lower().replace(" ", "_")
    with homevoice_server("satellite", args, log) as (port, proc):
        yield Rig(port, proc, queue, snd_out, log, node_id)


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """16 kHz mono PCM clips spoken by Piper (made by the project's Python: testing.audio)."""
    workdir = tmp_path_factory.mktemp("speech")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from testing.audio import piper_speech, silence\n"
        "out = Path(sys.argv[1])\n"
        "(out / 'command.raw').write_bytes("
        "silence(0.3) + piper_speech('What time is it?') + silence(0.8))\n"
        "(out / 'wake.raw').write_bytes("
        "silence(0.5) + piper_speech('Hey Jarvis.') + silence(1.0))\n"
        "(out / 'wake_command.raw').write_bytes(silence(0.3) + piper_speech('Hey Jarvis.')"
        " + silence(0.3) + piper_speech('What time is it?') + silence(2.0))\n"
    )
    subprocess.run(
        [homevoice_python(), "-c", code, str(workdir)], check=True, cwd=REPO, timeout=120
    )
    return {path.stem: path.read_bytes() for path in workdir.glob("*.raw")}


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A private mosquitto on loopback for the session."""
    with sockets_allowed():
        running = Broker(tmp_path_factory.mktemp("broker"))
        running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def hub_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Our hub as HA's Wyoming endpoint (asr, tts, wake, handle); it drives no satellite."""
    workdir = tmp_path_factory.mktemp("hub")
    args = ["--control-satellites", "listed"]
    with homevoice_server("hub", args, workdir / "hub.log") as (port, _proc):
        yield port
