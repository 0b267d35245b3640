"""docs/settings.md is the settings code: same keys, defaults, flags and a meaning for each."""

from __future__ import annotations

import pytest

from tools import settings_reference as ref


def test_the_reference_file_is_what_the_code_generates() -> None:
    assert ref.OUTPUT.read_text(encoding="utf-8") == ref.render(), (
        "docs/settings.md is stale: run `python -m tools.settings_reference --write`"
    )


@pytest.mark.parametrize("program", ["hub", "satellite"])
def test_every_setting_has_a_meaning(program: str) -> None:
    missing = [row.key for row in ref.rows(program) if not row.meaning]
    assert not missing, f"add a comment in config/{program}.yaml or MEANINGS for {missing}"


@pytest.mark.parametrize(
    ("program", "flags"), [("hub", ref.HUB_FLAGS), ("satellite", ref.SATELLITE_FLAGS)]
)
def test_every_flag_is_in_the_reference_and_names_a_real_setting(
    program: str, flags: dict[str, str]
) -> None:
    assert set(flags) == ref.parser_flags(program)
    keys = {row.key for row in ref.rows(program)}
    assert set(flags.values()) <= keys
