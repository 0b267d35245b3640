"""Start-up and shutdown: /health answers, SIGTERM stops the hub cleanly with exit code 0."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from testing.hubproc import free_port, running_hub


def test_health_then_clean_stop_on_sigterm(tmp_path: Path) -> None:
    http_port = free_port()
    log = tmp_path / "hub.log"
    args = ["--http-port", str(http_port), "--wake-word", "hey_jarvis"]
    with running_hub(args=args, log_path=log) as (_port, proc):
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=10) as reply:
            health = json.load(reply)
    text = log.read_text()
    assert health["status"] == "ok"
    assert health["stt"] == "tiny.en" and health["wake"] == ["hey_jarvis"]
    assert proc.returncode == 0, text  # running_hub stopped it with SIGTERM
    assert "Speech-to-text: tiny.en from" in text and "on cpu (int8)" in text
    assert "Stopping" in text
    assert "Traceback" not in text


def _hub_exits(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hub", "--no-zeroconf", "--uri", "tcp://127.0.0.1:0", *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_a_missing_token_file_or_a_short_token_stops_the_hub_at_once(tmp_path: Path) -> None:
    missing = _hub_exits(["--http-token-file", str(tmp_path / "nope")])
    assert missing.returncode == 2
    assert f"http.token_file {tmp_path / 'nope'}: No such file or directory" in missing.stderr
    short = _hub_exits([], env={"HOMEVOICE_HTTP_TOKEN": "abc"})
    assert short.returncode == 2 and "shorter than 16 characters" in short.stderr
    assert "Traceback" not in missing.stderr + short.stderr


def test_a_taken_http_port_is_said_plainly(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _hub_exits(["--http-port", str(port), "--wake-word", "hey_jarvis"])
    assert result.returncode == 1
    assert f"cannot serve HTTP on 127.0.0.1:{port}" in result.stderr
    assert "set another --http-port, or 0 to turn HTTP off" in result.stderr
    assert "Traceback" not in result.stderr
