"""The release workflow (.github/workflows/images.yaml): actionlint finds nothing, and it builds
with Home Assistant's builder actions what the add-on's config.yaml and build.yaml describe."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tools.project_home import read_home

WORKFLOW = REPO / ".github" / "workflows" / "images.yaml"
ADDON = REPO / "addon"
BUILDER = "home-assistant/builder/actions/"


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return load(WORKFLOW)


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(BUILDER + action + "@")]


def build_args(step: dict[str, Any]) -> dict[str, str]:
    lines = str(step["with"].get("build-args", "")).splitlines()
    return dict(line.strip().split("=", 1) for line in lines if line.strip())


def actionlint() -> Path | None:
    found = shutil.which("actionlint")
    if found:
        return Path(found)
    beside_python = Path(sys.executable).parent / "actionlint"
    return beside_python if beside_python.exists() else None


def test_actionlint_finds_nothing() -> None:
    binary = actionlint()
    assert binary is not None, "actionlint is missing: the dev extra installs it (make venv)"
    result = subprocess.run(
        [str(binary), "-no-color", "-oneline", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_on_a_release_tag_only(workflow: dict[str, Any]) -> None:
    on_key: Any = True  # YAML 1.1 reads the key `on` as True
    triggers = workflow.get("on", workflow.get(on_key))
    assert triggers == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}, "jobs ask for more themselves"


def test_the_builder_actions_are_pinned_to_one_commit() -> None:
    pins = re.findall(rf"uses: {re.escape(BUILDER)}([\w-]+)@(\S+)", WORKFLOW.read_text())
    assert {action for action, _ in pins} == {
        "prepare-multi-arch-matrix",
        "build-image",
        "publish-multi-arch-manifest",
    }
    commits = {commit for _, commit in pins}
    assert len(commits) == 1 and re.fullmatch(r"[0-9a-f]{40}", commits.pop())


def test_the_registry_is_the_homes(workflow: dict[str, Any]) -> None:
    assert workflow["env"]["REGISTRY"] == read_home().registry


def test_the_add_on_images_are_the_ones_config_yaml_names(workflow: dict[str, Any]) -> None:
    config = load(ADDON / "config.yaml")
    prepare = workflow["jobs"]["prepare"]
    [matrix] = [
        s for s in steps_using(prepare, "prepare-multi-arch-matrix") if s["id"] == "addon-matrix"
    ]
    registry = workflow["env"]["REGISTRY"]
    assert matrix["with"]["registry-prefix"] == "${{ env.REGISTRY }}"
    # prepare-multi-arch-matrix names each image REGISTRY/ARCH-NAME.
    for arch in config["arch"]:
        made = f"{registry}/{arch}-{matrix['with']['image-name']}"
        assert made == config["image"].replace("{arch}", arch)
    # The architectures are config.yaml's, and the tag must be its version.
    check = next(s for s in prepare["steps"] if s.get("id") == "info")
    assert "yq -o=json -I=0 '.arch' addon/config.yaml" in check["run"]
    assert "yq -r '.version' addon/config.yaml" in check["run"]
    assert '"${TAG}" != "v${version}"' in check["run"]


def test_the_add_on_is_built_as_the_supervisor_would(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["addon"]
    assert job["permissions"]["packages"] == "write"
    [build] = steps_using(job, "build-image")
    assert build["with"]["context"] == "addon"
    assert build["with"]["push"] == "true"
    assert "${{ needs.prepare.outputs.version }}" in build["with"]["image-tags"]
    # Every build.yaml argument, and the base image of the architecture, read from build.yaml.
    passed = build_args(build)
    build_yaml = load(ADDON / "build.yaml")
    assert set(passed) == {"BUILD_FROM", *build_yaml["args"]}
    reader = next(s for s in job["steps"] if s.get("id") == "build")
    assert 'yq -r ".build_from.${ARCH}" addon/build.yaml' in reader["run"]
    for name in build_yaml["args"]:
        assert f"yq -r '.args.{name}' addon/build.yaml" in reader["run"], name
    # And the Dockerfile declares each of them.
    dockerfile = (ADDON / "Dockerfile").read_text()
    for name in passed:
        assert re.search(rf"^ARG {name}\b", dockerfile, re.MULTILINE), name


def test_the_hub_images_cpu_and_cuda(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    [cpu] = steps_using(jobs["hub"], "build-image")
    [cuda] = steps_using(jobs["hub-cuda"], "build-image")
    assert cpu["with"]["context"] == cuda["with"]["context"] == "."
    assert build_args(cpu) == {"BASE": "cpu"} and build_args(cuda) == {"BASE": "cuda"}
    assert cuda["with"]["arch"] == "amd64"
    assert cuda["with"]["cache-image-tag"] == "cuda", "the CPU and CUDA caches stay apart"
    assert cpu["with"]["cache-gha-scope"] != cuda["with"]["cache-gha-scope"]
    manifests = steps_using(jobs["hub-manifest"], "publish-multi-arch-manifest")
    tags = [set(str(m["with"]["image-tags"]).splitlines()) - {""} for m in manifests]
    version = "${{ needs.prepare.outputs.version }}"
    assert tags == [{version, "latest"}, {f"{version}-cuda", "cuda"}]
    assert {m["with"]["image-name"] for m in manifests} == {"homevoice-hub"}
    assert f"{workflow['env']['REGISTRY']}/homevoice-hub" == read_home().hub_image
