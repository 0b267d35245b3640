"""Ctrl-C at any moment ends a program with one line and exit code 130, never a traceback."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

INTERRUPTED = 130  # the shell's code for a program ended by SIGINT


def quiet_interrupts(program: str) -> None:
    """From now until the event loop takes SIGINT over: Ctrl-C exits at once, quietly.

    Nothing is served yet (imports, settings, loading models; a joined model is written beside
    its place and renamed), so there is nothing to close. A program started with SIGINT
    ignored (`nohup`, a background job of a script) keeps it ignored.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return

    def interrupted(signum: int, frame: FrameType | None) -> None:
        _exit(program)

    signal.signal(signal.SIGINT, interrupted)


def exit_quietly_on_interrupt(program: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """`main` ends with one line and exit code 130 on a KeyboardInterrupt (a Ctrl-C after the
    event loop gave SIGINT back, while the program winds down)."""

    def wrap(main: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(main)
        def quiet(*args: object, **kwargs: object) -> int:
            try:
                return main(*args, **kwargs)
            except KeyboardInterrupt:
                _exit(program)

        return quiet

    return wrap


def _exit(program: str) -> NoReturn:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not print either
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os.write(2, f"{program}: interrupted\n".encode())
    os._exit(INTERRUPTED)
