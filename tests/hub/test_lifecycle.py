"""Start-up and shutdown: /health answers, SIGTERM stops the hub cleanly with exit code 0."""

from __future__ import annotations

import json
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
