"""Every option documented (DOCS.md) and translated (translations/en.yaml); the images valid."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from .files import ADDON, config, load_yaml

DOCS = (ADDON / "DOCS.md").read_text()
SCHEMA: dict[str, Any] = config()["schema"]


def docs_row(option: str) -> str:
    """The row of the options table in DOCS.md for `option`."""
    rows = re.findall(rf"^\| `{re.escape(option)}` \|.*$", DOCS, re.MULTILINE)
    assert len(rows) == 1, f"{option}: {len(rows)} rows in the DOCS.md options table"
    return str(rows[0])


def shown(value: Any) -> list[str]:
    if isinstance(value, bool):
        return [f"`{str(value).lower()}`"]
    if isinstance(value, list):
        return [f"`{item}`" for item in value] or ["(empty)"]
    return [f"`{value}`"]


@pytest.mark.parametrize("option", list(SCHEMA))
def test_option_documented_with_its_default(option: str) -> None:
    default_cell = docs_row(option).split("|")[2]
    defaults = config()["options"]
    if option in defaults:
        for text in shown(defaults[option]):
            assert text in default_cell, f"{option}: default {text} not in {default_cell!r}"
    else:
        assert "(unset)" in default_cell


def test_no_documented_option_that_does_not_exist() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", DOCS, re.MULTILINE))
    assert documented == set(SCHEMA)


def test_translations() -> None:
    translations = load_yaml(ADDON / "translations" / "en.yaml")
    assert set(translations) <= {"configuration", "network"}
    assert set(translations["configuration"]) == set(SCHEMA)
    for option, text in translations["configuration"].items():
        assert set(text) == {"name", "description"}, option
        assert text["name"].strip() and text["description"].strip(), option
    assert set(translations["network"]) == set(config()["ports"])
    assert all(v.strip() for v in translations["network"].values())


def test_docs_cover_the_port_and_the_gpu() -> None:
    assert "| `10300/tcp` |" in DOCS
    assert "Home Assistant OS cannot pass an NVIDIA GPU to an add-on" in DOCS
    assert "zeroconf" in DOCS


def test_changelog_has_this_version() -> None:
    changelog = (ADDON / "CHANGELOG.md").read_text()
    assert f"\n## {config()['version']}\n" in changelog


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature, chunk CRCs and image data."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        chunks.append(kind)
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    assert len(zlib.decompress(idat)) == height * (1 + width * channels * depth // 8)
    return width, height


def test_icon_and_logo() -> None:
    assert png_size(ADDON / "icon.png") == (128, 128)
    width, height = png_size(ADDON / "logo.png")
    assert width > height
