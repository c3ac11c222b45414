"""A later template change reaches a generated service through `copier update` (`make
update-service`), without conflict and without losing the service's own edits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.template.conftest import Generated, git, service_template

TEMPLATE_README = Path("templates/service/template/services/{{ name }}/README.md.jinja")
TEMPLATE_NEW_FILE = Path("templates/service/template/services/{{ name }}/CHANGELOG.md.jinja")


@pytest.fixture(scope="module")
def updated(generated: Generated, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clone of the repository with the service: the team edits its code, the platform
    changes the template, then the team updates."""
    root = tmp_path_factory.mktemp("update") / "repository"
    subprocess.run(["git", "clone", "-q", str(generated.root), str(root)], check=True)
    name = generated.name
    app = root / f"services/{name}/src/{name}/app.py"
    app.write_text(
        app.read_text().replace(
            '"""The ASGI application', '"""The team\'s own words. The ASGI application'
        )
    )
    git(root, "commit", "-qam", "the team edits its service")
    readme = root / TEMPLATE_README
    readme.write_text(readme.read_text() + "\n## Changes\n\nSee [CHANGELOG.md](CHANGELOG.md).\n")
    (root / TEMPLATE_NEW_FILE).write_text("# {{ name }}: changes\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the platform changes the template")
    before = yaml.safe_load((root / f"services/{name}/.copier-answers.yml").read_text())["_commit"]
    result = service_template(root, "update", name)
    assert result.returncode == 0, result.stdout + result.stderr
    return root, before


def test_the_template_change_reaches_the_service(
    updated: tuple[Path, str], generated: Generated
) -> None:
    root, before = updated
    service = root / "services" / generated.name
    assert "See [CHANGELOG.md](CHANGELOG.md)." in (service / "README.md").read_text()
    assert (service / "CHANGELOG.md").read_text() == f"# {generated.name}: changes\n"
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_commit"] != before and answers["name"] == generated.name


def test_without_conflict_and_keeping_the_teams_edits(
    updated: tuple[Path, str], generated: Generated
) -> None:
    root, _ = updated
    changed = git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
    paths = sorted(line[3:] for line in changed)
    service = f"services/{generated.name}"
    assert paths == [
        f"{service}/.copier-answers.yml",
        f"{service}/CHANGELOG.md",
        f"{service}/README.md",
    ]
    for path in paths:
        assert "<<<<<<<" not in (root / path).read_text(), path
    app = (root / service / f"src/{generated.name}/app.py").read_text()
    assert "The team's own words." in app
