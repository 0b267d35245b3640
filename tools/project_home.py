"""The project's home URL, kept in one place: `[project.urls]` in pyproject.toml.

Everything else that names it is derived from it and checked against it: the add-on's `url`
and prebuilt `image`, the add-on repository (`repository.yaml`), the source archive the add-on
image installs (`HOMEVOICE_HOME` in build.yaml and addon/Dockerfile), the hub image's source
label, the registry the workflow publishes to, and the links in README.md and addon/DOCS.md.
`tests/packaging/test_project_home.py` fails when one of them drifts.

    python -m tools.project_home                                      # check (exit 1 on drift)
    python -m tools.project_home --set https://github.com/OWNER/NAME  # rewrite every place
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = "pyproject.toml"
URL_KEYS = ("Homepage", "Source")
# The add-on image and the hub image carry the project's name, whatever the repository's is.
PROJECT = "homevoice"
_GITHUB = re.compile(r"https://github\.com/(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9_.-]+)")
STORE_REDIRECT = "https://my.home-assistant.io/redirect/supervisor_add_addon_repository/"


@dataclass(frozen=True)
class Home:
    """The home URL and the names derived from it."""

    url: str
    owner: str
    name: str

    @classmethod
    def parse(cls, url: str) -> Home:
        """A GitHub repository URL: the archive and the ghcr.io registry are GitHub's."""
        match = _GITHUB.fullmatch(url)
        if match is None or match["name"].endswith(".git"):
            raise ValueError(f"{url!r}: give https://github.com/OWNER/NAME (no .git, no slash)")
        return cls(url, match["owner"], match["name"])

    @property
    def registry(self) -> str:
        """Where the images are published (ghcr.io names are lower case)."""
        return f"ghcr.io/{self.owner.lower()}"

    @property
    def addon_image(self) -> str:
        """The add-on's prebuilt image, as config.yaml names it."""
        return f"{self.registry}/{{arch}}-{PROJECT}-addon"

    @property
    def hub_image(self) -> str:
        """The hub's Docker image (tags: VERSION, latest, VERSION-cuda, cuda)."""
        return f"{self.registry}/{PROJECT}-hub"

    @property
    def store_link(self) -> str:
        """My Home Assistant's link that adds this add-on repository."""
        return f"{STORE_REDIRECT}?repository_url={quote(self.url, safe='')}"

    def archive(self, version: str) -> str:
        """The source archive of a release tag (what the add-on image installs)."""
        return f"{self.url}/archive/refs/tags/v{version}.tar.gz"


def expected(home: Home) -> dict[str, list[str]]:
    """Each file that names the home, and the texts it must hold."""
    return {
        "addon/config.yaml": [f"\nurl: {home.url}\n", f"\nimage: {home.addon_image}\n"],
        "repository.yaml": [f"\nurl: {home.url}\n"],
        "addon/build.yaml": [f"  HOMEVOICE_HOME: {home.url}\n"],
        "addon/Dockerfile": [f"\nARG HOMEVOICE_HOME={home.url}\n"],
        "Dockerfile": [f'org.opencontainers.image.source="{home.url}"'],
        ".github/workflows/images.yaml": [f"  REGISTRY: {home.registry}\n"],
        "README.md": [home.url, home.store_link, home.hub_image],
        "addon/DOCS.md": [home.url, home.store_link],
        # Named in passing: checked for strays and rewritten, nothing required.
        "addon/CHANGELOG.md": [],
    }


def read_home(root: Path = REPO) -> Home:
    """The home URL in pyproject.toml (Homepage and Source must agree)."""
    with (root / PYPROJECT).open("rb") as file:
        urls = tomllib.load(file)["project"].get("urls", {})
    values = {urls.get(key) for key in URL_KEYS}
    if len(values) != 1 or None in values:
        raise ValueError(f"{PYPROJECT}: [project.urls] {' and '.join(URL_KEYS)} must be one URL")
    return Home.parse(str(values.pop()))


def _strays(home: Home, path: str, text: str) -> list[str]:
    """Names of this project's repository, image or store link that are not the home's."""
    problems: list[str] = []
    for name in {PROJECT, home.name}:
        for match in re.finditer(rf"https://github\.com/[A-Za-z0-9-]+/{re.escape(name)}\b", text):
            if match[0] != home.url:
                problems.append(f"{path}: {match[0]} is not the home {home.url}")
    for match in re.finditer(rf"ghcr\.io/([A-Za-z0-9_.-]+)/[{{}}\w.-]*{PROJECT}", text):
        if not match[0].startswith(f"{home.registry}/"):
            problems.append(f"{path}: {match[0]} is not under {home.registry}")
    for match in re.finditer(r"repository_url=([^)\s\"'>]+)", text):
        if match[1] != quote(home.url, safe=""):
            problems.append(f"{path}: the store link adds {match[1]}, not {home.url}")
    return problems


def check(root: Path = REPO) -> list[str]:
    """One line per place that does not agree with the home URL; empty when all do."""
    try:
        home = read_home(root)
    except ValueError as err:
        return [str(err)]
    problems: list[str] = []
    for path, texts in expected(home).items():
        file = root / path
        if not file.is_file():
            problems.append(f"{path}: missing")
            continue
        text = file.read_text(encoding="utf-8")
        missing = [want.strip() for want in texts if want not in text]
        problems += [f"{path}: does not hold {want!r}" for want in missing]
        problems += _strays(home, path, text)
    return problems


def set_home(url: str, root: Path = REPO) -> list[Path]:
    """Make `url` the home: pyproject.toml and every derived place. Returns the changed files."""
    new = Home.parse(url)
    old = read_home(root)
    changed: list[Path] = []
    # The store link first: it holds the URL percent-encoded. The registry where it ends a name
    # (ghcr.io/OWNER/..., or REGISTRY: ghcr.io/OWNER).
    registry = re.compile(rf"{re.escape(old.registry)}(?=[/\s\"'`]|$)", re.MULTILINE)
    for path in [PYPROJECT, *expected(old)]:
        file = root / path
        if not file.is_file():
            continue
        text = file.read_text(encoding="utf-8")
        updated = text.replace(old.store_link, new.store_link).replace(old.url, new.url)
        updated = registry.sub(new.registry, updated)
        if updated != text:
            file.write_text(updated, encoding="utf-8")
            changed.append(file)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.project_home", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--set", metavar="URL", help="make URL the home and rewrite every place")
    args = parser.parse_args(argv)
    if args.set:
        try:
            changed = set_home(args.set)
        except ValueError as err:
            print(f"project_home: {err}", file=sys.stderr)
            return 2
        for file in changed:
            print(f"rewrote {file.relative_to(REPO)}")
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"every place names {read_home().url}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
