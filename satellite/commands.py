"""Audio commands (arecord, aplay, pipelines of them) run through the shell in their own
process group, so stopping one stops every process in its pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

from protocol.aio import bounded


async def start_command(command: str, **pipes: Any) -> asyncio.subprocess.Process:
    """Start `command` with the given stdin/stdout; stderr is piped for error messages."""
    return await asyncio.create_subprocess_shell(
        command, stderr=asyncio.subprocess.PIPE, start_new_session=True, **pipes
    )


async def kill_command(proc: asyncio.subprocess.Process, timeout_s: float = 5.0) -> None:
    """Kill the command's whole process group and reap it (bounded)."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        await bounded(proc.wait(), timeout_s)
