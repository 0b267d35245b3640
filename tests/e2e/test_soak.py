"""A minute of bench/soak.py: four satellites speaking commands, a flood of idle connections
halfway; every command carried out, and the hub's memory, files and tasks back where they were
(`python -m bench.soak` runs it for ten minutes and prints the figures)."""

from __future__ import annotations

from pathlib import Path

from bench.soak import run_soak, summary


async def test_a_minute_of_commands_and_a_flood(tmp_path: Path) -> None:
    soak = await run_soak(tmp_path, 60.0, satellites=4, interval_s=4.0, flood_count=100)
    text = summary(soak, 4, 4.0)
    print(text)
    assert soak.commands >= 20, text
    assert soak.succeeded == soak.commands, text
    assert soak.flat(), text
