"""`homevoice-satellite` / `python -m satellite`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Say plainly that the satellite is not part of this version."""
    print(
        "homevoice-satellite: the satellite is not part of this version yet; "
        "run the hub (homevoice-hub) and drive it from Home Assistant.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
