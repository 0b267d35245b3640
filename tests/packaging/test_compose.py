"""docker-compose.yml: the CPU hub on port 10300 with models in /data, and the commented GPU
variant, which must still be valid once uncommented."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from hub.cli import parser, settings_from_args
from tests.conftest import REPO
from tests.packaging.sources import instructions, stages

COMPOSE = REPO / "docker-compose.yml"
GPU_SERVICE = "homevoice-hub-gpu"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def hub(compose: dict[str, Any]) -> dict[str, Any]:
    service = compose["services"]["homevoice-hub"]
    assert isinstance(service, dict)
    return service


def with_defaults(words: list[str]) -> list[str]:
    """Compose's ${NAME:-default}, as when NAME is not set."""
    return [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", word) for word in words]


def commented_gpu_service() -> dict[str, Any]:
    """The block after `# homevoice-hub-gpu:`, uncommented and parsed."""
    lines = COMPOSE.read_text().splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip() == f"# {GPU_SERVICE}:")
    block: list[str] = []
    for line in lines[start:]:
        if not line.strip().startswith("#"):
            break
        block.append(re.sub(r"^(\s*)# ?", r"\1", line))
    loaded = yaml.safe_load("\n".join(block))
    assert isinstance(loaded, dict)
    return dict(loaded[GPU_SERVICE])


def test_the_hub_is_built_from_this_repository(hub: dict[str, Any]) -> None:
    build = hub["build"]
    assert build == "." or build.get("context") == "."
    assert hub["restart"] == "unless-stopped"


def test_models_live_in_a_volume_at_data(compose: dict[str, Any], hub: dict[str, Any]) -> None:
    volumes = [str(v) for v in hub["volumes"]]
    named = [v.split(":")[0] for v in volumes if v.split(":")[1] == "/data"]
    assert named, f"no volume at /data in {volumes}"
    if not named[0].startswith((".", "/")):
        assert named[0] in (compose.get("volumes") or {}), "declare the named volume"
    command = with_defaults(hub["command"])
    assert command[command.index("--data-dir") + 1] == "/data"


def test_home_assistant_reaches_port_10300(hub: dict[str, Any]) -> None:
    settings = settings_from_args(parser().parse_args(with_defaults(hub["command"])))
    assert settings.uri.endswith(":10300")
    if hub.get("network_mode") == "host":
        assert "ports" not in hub, "host networking publishes no ports"
    else:
        assert "10300:10300" in [str(p) for p in hub.get("ports", [])]


def test_the_command_starts_with_the_images_defaults(hub: dict[str, Any]) -> None:
    cmd = next(i for i in stages(instructions())[-1] if i.keyword == "CMD").exec_form()
    assert hub["command"][: len(cmd)] == cmd


def test_mqtt_comes_from_the_environment_with_none_by_default(hub: dict[str, Any]) -> None:
    assert not any("mqtt" in str(part).lower() for part in hub["command"]), "ps shows flags"
    environment = hub["environment"]
    assert environment["HOMEVOICE_MQTT_URL"] == "${HOMEVOICE_MQTT_URL:-none}"
    for name in ("HOMEVOICE_MQTT_USERNAME", "HOMEVOICE_MQTT_PASSWORD", "HOMEVOICE_HTTP_TOKEN"):
        assert environment[name] == f"${{{name}:-}}"
    # What the hub reads from it: no MQTT by default, and the broker with its login when set.
    defaults = {name: "none" if name.endswith("_URL") else "" for name in environment}
    args = parser().parse_args(with_defaults(hub["command"]))
    assert settings_from_args(args, defaults).mqtt.enabled is False
    given = {**defaults, "HOMEVOICE_MQTT_URL": "mqtt://10.0.0.5:1883"}
    given |= {"HOMEVOICE_MQTT_USERNAME": "hv", "HOMEVOICE_MQTT_PASSWORD": "pw"}
    broker = settings_from_args(args, given).mqtt.broker()
    assert (broker.host, broker.username, broker.password) == ("10.0.0.5", "hv", "pw")


def test_the_commented_gpu_variant_is_valid(hub: dict[str, Any]) -> None:
    gpu = commented_gpu_service()
    assert gpu["build"]["args"]["BASE"] == "cuda"
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert [d["driver"] for d in devices] == ["nvidia"]
    assert "gpu" in devices[0]["capabilities"]
    command = with_defaults(gpu["command"])
    assert settings_from_args(parser().parse_args(command)).device.value == "cuda"
    assert gpu["command"][: len(hub["command"])] == hub["command"]
    assert gpu["volumes"] == hub["volumes"] and gpu.get("network_mode") == hub.get("network_mode")
    assert gpu["environment"] == hub["environment"]
