"""Start the real `homevoice-hub` or `homevoice-satellite` as a subprocess and wait until it
answers `describe`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_describe(port: int) -> bool:
    """A blocking Wyoming `describe` over a plain socket: usable with or without a loop."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b'{"type": "describe"}\n')
            header = sock.makefile("rb").readline(65536)
    except OSError:
        return False
    try:
        return bool(json.loads(header).get("type") == "info")
    except ValueError:
        return False


def wait_ready(proc: subprocess.Popen[bytes], port: int, timeout_s: float = 120) -> None:
    """Poll `describe` until the server answers; raise with its log if it exits or stalls."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        if _answers_describe(port):
            return
        time.sleep(0.2)
    raise TimeoutError(f"server on port {port} not ready within {timeout_s} s")


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 15) -> int:
    """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return int(proc.returncode)


@contextlib.contextmanager
def running_server(
    module: str,
    port: int | None = None,
    args: list[str] | None = None,
    log_path: Path | None = None,
    zeroconf: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`python -m <module>` (hub or satellite) on loopback for the duration of the block;
    `env` adds to the environment it runs in."""
    port = port or free_port()
    extra = list(args or [])
    if module == "hub" and "--http-port" not in extra:
        extra += ["--http-port", "0"]  # tests run many hubs: no shared port 10380
    command = [sys.executable, "-m", module, "--uri", f"tcp://127.0.0.1:{port}", *extra]
    if not zeroconf:
        command.append("--no-zeroconf")
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    try:
        wait_ready(proc, port)
        yield port, proc
    finally:
        stop(proc)
        if log_path:
            log.close()  # type: ignore[union-attr]


def running_hub(
    port: int | None = None,
    args: list[str] | None = None,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
) -> contextlib.AbstractContextManager[tuple[int, subprocess.Popen[bytes]]]:
    """The real hub on loopback (no zeroconf) for the duration of the block."""
    return running_server("hub", port, args, log_path, env=env)


def running_satellite(
    port: int | None = None,
    args: list[str] | None = None,
    log_path: Path | None = None,
    zeroconf: bool = False,
    env: dict[str, str] | None = None,
) -> contextlib.AbstractContextManager[tuple[int, subprocess.Popen[bytes]]]:
    """The real satellite on loopback, announcing on zeroconf only when asked."""
    return running_server("satellite", port, args, log_path, zeroconf, env)
