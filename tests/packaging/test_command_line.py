"""Both programs' command lines: `--version`, flags that say what to give, a pointer to the
settings reference, and Ctrl-C at any moment without a traceback."""

from __future__ import annotations

import contextlib
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from hub.cli import parser as hub_parser
from protocol.interrupt import INTERRUPTED
from protocol.version import home_url, package_version
from satellite.cli import parser as satellite_parser
from tests.conftest import REPO

KINDS = {"URI", "URL", "PORT", "PATH", "DIR", "NAME", "NAME|PATH", "COMMAND", "HZ", "AREA"}
KINDS |= {"DBFS", "LEVEL"}
PROGRAMS = {"homevoice-hub": "hub", "homevoice-satellite": "satellite"}


def _pyproject_version() -> str:
    match = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M)
    assert match
    return match[1]


@pytest.mark.parametrize("program", PROGRAMS)
def test_version_is_the_package_and_the_add_on_version(program: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", PROGRAMS[program], "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    addon = yaml.safe_load((REPO / "addon" / "config.yaml").read_text())
    assert done.stdout.strip() == f"{program} {package_version()}"
    assert package_version() == _pyproject_version() == str(addon["version"])


@pytest.mark.parametrize("program", PROGRAMS)
def test_help_says_what_to_give_and_where_every_setting_is(program: str) -> None:
    p = hub_parser() if program == "homevoice-hub" else satellite_parser()
    text = p.format_help()
    # argparse's own placeholders are the upper-cased flag names (MQTT, STT_MODEL): each flag
    # that takes a value says what kind of value instead.
    for action in p._actions:
        if action.nargs != 0 and action.choices is None and action.option_strings:
            assert action.metavar in KINDS, f"{action.option_strings} shows {action.metavar}"
    assert "NAME|PATH" in text
    flat = " ".join(text.split())  # argparse wraps the epilog
    assert flat.endswith(f"docs/settings.md ({home_url()}/blob/main/docs/settings.md).")
    assert "HOMEVOICE_" in text and "_FILE" in text
    assert "for /health" not in text


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def _start(module: str, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """The program for the block; killed at its end if a failed wait left it running.

    It starts with SIGINT's default action, as a program typed at a shell does, also when the
    tests themselves run as a background job (`make test &`, `nohup`): the shell starts those
    with SIGINT ignored, and the programs keep it ignored, as such a start asks."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        preexec_fn=_default_sigint,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _read_until(proc: subprocess.Popen[bytes], marker: str, timeout_s: float) -> str:
    """The output until a line holding `marker` (bounded)."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while marker.encode() not in seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {marker!r} within {timeout_s} s:\n{seen.decode()}"
            if selector.select(left):
                chunk = proc.stdout.read1(65536)  # type: ignore[attr-defined]
                assert chunk, f"exited before {marker!r}:\n{seen.decode()}"
                seen += chunk
    return seen.decode()


def _pause(seconds: float) -> str:
    time.sleep(seconds)
    return ""


def _interrupt(proc: subprocess.Popen[bytes], before: str) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    return proc.returncode, before + rest.decode()


HUB_ARGS = ("--uri", "tcp://127.0.0.1:0", "--no-zeroconf", "--http-port", "0")


@pytest.mark.parametrize(
    "moment",
    [
        "",  # soon after the start: while Python imports the hub
        "Speech-to-text model tiny.en: from",  # about to check and load the first model
        "Text-to-speech:",  # between two models
    ],
)
def test_ctrl_c_while_the_hub_starts_ends_it_with_one_line(moment: str, tmp_path: Path) -> None:
    with _start("hub", *HUB_ARGS, "--data-dir", str(tmp_path)) as proc:
        # (Before the interpreter runs any code, SIGINT's default action ends it silently.)
        before = _read_until(proc, moment, 120) if moment else _pause(0.3)
        code, output = _interrupt(proc, before)
    assert code == INTERRUPTED, output
    assert "Traceback" not in output
    assert output.rstrip().endswith("homevoice-hub: interrupted")


def test_ctrl_c_while_the_hub_serves_stops_it_cleanly(tmp_path: Path) -> None:
    with _start("hub", *HUB_ARGS, "--data-dir", str(tmp_path)) as proc:
        code, output = _interrupt(proc, _read_until(proc, "Ready on", 120))
    assert code == 0, output
    assert "Traceback" not in output


@pytest.mark.parametrize("moment", ["", "ready on"])
def test_ctrl_c_stops_the_satellite_without_a_traceback(moment: str) -> None:
    args = ("--uri", "tcp://127.0.0.1:0", "--no-zeroconf", "--mic-command", "sleep 60")
    with _start("satellite", *args) as proc:
        before = _read_until(proc, moment, 60) if moment else _pause(0.1)
        code, output = _interrupt(proc, before)
    # A warm satellite can be serving within 0.3 s: then Ctrl-C is the graceful stop.
    served = "ready on" in output
    assert code == (0 if moment or served else INTERRUPTED), output
    assert "Traceback" not in output
