"""The add-on repository users add by URL: repository.yaml and addon/config.yaml valid together,
and both naming the project's one home (pyproject.toml [project.urls])."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from tools.project_home import read_home

from .files import ADDON, REPO, config, load_yaml, project_version
from .supervisor_schema import DOCKER_IMAGE


def repository() -> dict[str, Any]:
    loaded = load_yaml(REPO / "repository.yaml")
    assert isinstance(loaded, dict)
    return loaded


def test_repository_yaml_is_what_the_supervisor_reads() -> None:
    repo = repository()
    # The Supervisor's repository schema: name required; url and maintainer optional strings.
    assert set(repo) <= {"name", "url", "maintainer"}
    assert isinstance(repo["name"], str) and repo["name"].strip()
    assert isinstance(repo["maintainer"], str) and repo["maintainer"].strip()
    assert repo["url"] == read_home().url


def test_the_repository_holds_one_add_on_homevoice() -> None:
    # The Supervisor finds add-ons by their config file anywhere in the repository.
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    found = [path for path in tracked if re.search(r"(^|/)config\.(yaml|yml|json)$", path)]
    assert found == ["addon/config.yaml"]
    assert config()["slug"] == "homevoice"


def test_config_and_build_agree_with_the_repository_and_the_package() -> None:
    cfg = config()
    build = load_yaml(ADDON / "build.yaml")
    home = read_home()
    assert cfg["url"] == home.url
    assert cfg["version"] == project_version() == build["args"]["HOMEVOICE_VERSION"]
    assert build["args"]["HOMEVOICE_HOME"] == home.url
    assert cfg["image"] == home.addon_image == "ghcr.io/homevoice/{arch}-homevoice-addon"
    # One image per architecture the add-on is built for, each a valid name.
    assert sorted(cfg["arch"]) == sorted(build["build_from"])
    for arch in cfg["arch"]:
        image = cfg["image"].replace("{arch}", arch)
        assert DOCKER_IMAGE.match(image) and arch in image and "{" not in image
