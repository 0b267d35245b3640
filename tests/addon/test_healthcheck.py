"""The image's health check: a Wyoming describe that must be answered with info."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from .files import HEALTHCHECK

INFO_DATA = b'{"asr": [], "tts": []}'
INFO = b'{"type": "info", "version": "1.7.2", "data_length": %d}\n' % len(INFO_DATA) + INFO_DATA


@contextmanager
def fake_server(reply: bytes | None) -> Iterator[tuple[int, list[bytes]]]:
    """A one-connection server: reads a line, sends `reply` (None: closes at once)."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            if reply is None:
                return
            received.append(conn.makefile("rb").readline())
            conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, received
    finally:
        thread.join(10)
        server.close()


def check(port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), "--port", str(port), "--timeout", "3"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_is_a_python_script() -> None:
    assert HEALTHCHECK.read_text().startswith("#!/usr/bin/env python3\n")
    assert HEALTHCHECK.stat().st_mode & 0o111


def test_info_is_healthy() -> None:
    with fake_server(INFO) as (port, received):
        result = check(port)
    assert result.returncode == 0, result.stderr
    assert received == [b'{"type": "describe"}\n']


@pytest.mark.parametrize(
    "reply",
    [
        b'{"type": "error", "data_length": 0}\n',
        b"not json\n",
        b'{"type": "info"',  # no complete header
        b'{"type": "info", "data_length": 100}\n{}',  # data cut short
        None,  # closed without an answer
    ],
    ids=["error-event", "garbage", "partial-header", "short-data", "closed"],
)
def test_anything_else_is_unhealthy(reply: bytes | None) -> None:
    with fake_server(reply) as (port, _):
        result = check(port)
    assert result.returncode == 1
    assert "homevoice-healthcheck:" in result.stderr


def test_nothing_listening_is_unhealthy() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    result = check(port)
    assert result.returncode == 1


def test_the_real_hub_is_healthy(hub_port: int) -> None:
    result = check(hub_port)
    assert result.returncode == 0, result.stderr
