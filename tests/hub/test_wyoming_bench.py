"""The stock `wyoming-bench` client (PyPI) works against our hub, unchanged."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO


def peers_bin(name: str) -> Path:
    venv = Path(os.environ.get("HOMEVOICE_PEERS", REPO / ".peers"))
    path = venv / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make peers` (make test does) to install the peers")
    return path


def run_bench(*args: str) -> str:
    result = subprocess.run(
        [str(peers_bin("wyoming-bench")), *args], capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.mark.peers
def test_wyoming_bench_tts_and_stt_report_no_errors(hub_port: int, tmp_path: Path) -> None:
    server = f"127.0.0.1:{hub_port}"
    info = run_bench("info", server)
    assert "homevoice-stt" in info and "homevoice-tts" in info

    tts = run_bench(
        "tts",
        server,
        "--rounds",
        "1",
        "--warmup",
        "0",
        "--mode",
        "both",
        "--texts",
        "The kitchen light is on.",
    )
    assert re.search(r"\[non_streaming\] ok=1 fail=0", tts), tts
    assert re.search(r"\[streaming\] ok=1 fail=0", tts), tts

    corpus = tmp_path / "corpus"
    run_bench(
        "generate-corpus",
        server,
        "--out",
        str(corpus),
        "--texts",
        "Turn on the kitchen light.",
        "What time is it?",
    )
    stt = run_bench(
        "stt",
        server,
        "--corpus",
        str(corpus),
        "--rounds",
        "1",
        "--warmup",
        "0",
        "--mode",
        "non_streaming",
    )
    assert re.search(r"\[non_streaming\] ok=2 fail=0", stt), stt
    assert re.search(r"Accuracy\s+WER=", stt), stt  # it scored our transcripts
