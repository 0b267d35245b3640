"""`pip install homevoice` is enough for a satellite: it never imports the hub's packages; the hub
without its extra says what to install."""

from __future__ import annotations

import subprocess
import sys

HUB_ONLY = ["faster_whisper", "ctranslate2", "piper", "onnxruntime", "hassil", "aiohttp"]


def test_the_satellite_imports_none_of_the_hubs_packages() -> None:
    code = (
        "import sys\n"
        "import satellite.__main__, satellite.cli, satellite.app, satellite.machine\n"
        "import satellite.runtime\n"
        "import satellite.connection, satellite.device, satellite.speaker, satellite.mic\n"
        "import satellite.wake, satellite.vad\n"
        f"print(sorted(m for m in {HUB_ONLY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_hub_without_its_extra_names_the_missing_package() -> None:
    code = (
        "import sys\n"
        "sys.modules['aiohttp'] = None  # as if `pip install homevoice` (no [hub])\n"
        "sys.argv = ['homevoice-hub', '--help']\n"
        "import runpy\n"
        "runpy.run_module('hub', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "'aiohttp' is missing" in result.stderr
    assert "pip install 'homevoice[hub]'" in result.stderr
