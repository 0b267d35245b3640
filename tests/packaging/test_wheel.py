"""The wheel `pip install .` builds (the Docker image, the add-on) holds every file the hub
reads at run time, not only its Python modules."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO

RUNTIME_FILES = ["hub/intents/sentences.yaml", "hub/web/static/index.html"]


def test_the_wheel_carries_the_files_the_hub_reads(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("homevoice-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in RUNTIME_FILES if name not in names]
    assert not missing, f"{wheel.name} lacks {missing}"
    tracked = subprocess.run(
        ["git", "ls-files", "hub/web/static"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked and set(tracked) <= names, "a dashboard file is not packaged"
