"""Start-up and shutdown: /health answers, SIGTERM stops the hub cleanly with exit code 0."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from bench.hubproc import free_port, stop, wait_ready


def test_health_then_clean_stop_on_sigterm(tmp_path: Path) -> None:
    port, http_port = free_port(), free_port()
    log = tmp_path / "hub.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub",
                "--uri",
                f"tcp://127.0.0.1:{port}",
                "--no-zeroconf",
                "--http-port",
                str(http_port),
                "--wake-word",
                "hey_jarvis",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_ready(proc, port)
            with urllib.request.urlopen(
                f"http://127.0.0.1:{http_port}/health", timeout=10
            ) as reply:
                health = json.load(reply)
        finally:
            code = stop(proc)
    text = log.read_text()
    assert health["status"] == "ok"
    assert health["stt"] == "tiny.en" and health["wake"] == ["hey_jarvis"]
    assert code == 0, text
    assert "Speech-to-text: tiny.en from" in text and "on cpu (int8)" in text
    assert "Stopping" in text
    assert "Traceback" not in text
