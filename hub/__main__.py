"""`homevoice-hub` / `python -m hub`: quiet on Ctrl-C from the first moment, then the command
line in `hub.cli` (its imports, the models' loading and serving)."""

from __future__ import annotations

import sys

from protocol.interrupt import quiet_interrupts


def main(argv: list[str] | None = None) -> int:
    """Run `homevoice-hub`; its exit code."""
    quiet_interrupts("homevoice-hub")
    from .cli import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
