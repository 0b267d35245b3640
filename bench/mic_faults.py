"""A satellite whose mic command keeps dying or never delivers: its CPU, to show the restarts
back off instead of spinning.

`python -m bench.mic_faults [--seconds 30]` runs the real satellite with `--mic-command true`
(exits at once, every time) and `--mic-command 'sleep 1000'` (runs and stays silent, so it is
restarted as stalled) and prints the satellite process's CPU (% of one core, all threads) over
`--seconds`, after its start. Figures only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import psutil

CASES = {"exits at once": "true", "stays silent": "sleep 1000"}
START_S = 8.0  # the satellite's start (wake word models) is not counted


def cpu_pct(mic_command: str, seconds: float) -> float:
    """The satellite's CPU over `seconds` with this mic command."""
    command = [sys.executable, "-m", "satellite", "--uri", "tcp://127.0.0.1:0", "--no-zeroconf"]
    proc = subprocess.Popen(
        [*command, "--mic-command", mic_command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(START_S)
        watched = psutil.Process(proc.pid)
        before, started = watched.cpu_times(), time.monotonic()
        time.sleep(seconds)
        after, ended = watched.cpu_times(), time.monotonic()
        used = after.user + after.system - before.user - before.system
        return used / (ended - started) * 100
    finally:
        proc.terminate()
        proc.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    for label, mic_command in CASES.items():
        used = cpu_pct(mic_command, args.seconds)
        print(f"mic command {label} ({mic_command!r}): satellite CPU {used:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
