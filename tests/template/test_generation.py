"""`make new-service NAME=...`: what it writes and edits, what it refuses, and that the
service it generates passes its own lint and tests."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.tools import ROOT
from tests.template.conftest import Generated, git, service_template
from tools.service_template import CI_WORKFLOW, PROJECTS, listed_services

# The reference service: every file of it (or of its deployment) named after it has a
# counterpart named after the new service. A file the generator forgets fails here.
REFERENCE = "depot"
# depot's own files the template deliberately does not generate (its image is built from
# the one services/Dockerfile with --build-arg SERVICE=<name>, so it has none to skip).
NOT_GENERATED: set[str] = set()


def counterparts(generated: Generated) -> list[str]:
    """Paths of the repository that name the reference service, the new name swapped in."""
    files = git(generated.root, "ls-files", "gitops", "mk", "services/depot").split()
    named = [
        f for f in files
        if re.search(rf"(^|/){REFERENCE}(\.[a-z]+)?$", f)
        or (f.count("/") == 2 and f.startswith("services/depot/") and f not in NOT_GENERATED)
    ]  # fmt: skip
    return sorted(
        re.sub(rf"(^|/){REFERENCE}(?=[./]|$)", rf"\g<1>{generated.name}", f) for f in named
    )


def test_every_file_named_after_a_service_exists_for_the_new_one(generated: Generated) -> None:
    expected = counterparts(generated)
    assert "gitops/platform/namespaces/ledger.yaml" in expected  # the check sees the layout
    missing = [f for f in expected if not (generated.root / f).exists()]
    assert missing == [], f"the template does not generate {missing}"


def test_every_list_of_services_names_the_new_one(generated: Generated) -> None:
    root, name = generated.root, generated.name
    for tfvars in sorted(root.glob("infra/live/*/terraform.tfvars")):
        text = tfvars.read_text()
        if REFERENCE in listed_services(text):
            assert name in listed_services(text), tfvars.relative_to(root)
    projects = [d for d in _yaml_all(root / PROJECTS) if d]
    for project in projects:
        namespaces = {d["namespace"] for d in project["spec"]["destinations"]}
        if REFERENCE in namespaces:
            assert name in namespaces, project["metadata"]["name"]
    workflow = yaml.safe_load((root / CI_WORKFLOW).read_text())
    for job_name, job in workflow["jobs"].items():
        listed = job.get("strategy", {}).get("matrix", {}).get("service", [])
        if REFERENCE in listed:
            assert name in listed, f"{CI_WORKFLOW}: job {job_name}'s matrix"


def _yaml_all(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(path.read_text()))


def test_only_new_files_and_one_entry_per_list(generated: Generated) -> None:
    changes = git(generated.root, "diff", "--numstat", generated.before, generated.after)
    modified = {}
    for line in changes.splitlines():
        added, deleted, path = line.split("\t")
        if _existed(generated, path):
            modified[path] = (int(added), int(deleted))
    tfvars = {p: c for p, c in modified.items() if p.endswith("terraform.tfvars")}
    assert tfvars and all(c == (1, 1) for c in tfvars.values()), tfvars
    # One list item (server and namespace) in each of the two projects, nothing removed.
    assert modified.pop(str(PROJECTS)) == (4, 0)
    assert modified.pop(str(CI_WORKFLOW)) == (1, 1)
    assert set(modified) == set(tfvars), f"existing files edited: {sorted(modified)}"


def _existed(generated: Generated, path: str) -> bool:
    return (
        subprocess.run(
            ["git", "cat-file", "-e", f"{generated.before}:{path}"],
            cwd=generated.root, capture_output=True, check=False,
        ).returncode == 0
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Ledger", "not a usable service name"),
        ("l", "not a usable service name"),
        ("9ledger", "not a usable service name"),
        ("ledger-", "not a usable service name"),
        ("a-very-long-service-name", "not a usable service name"),
        ("led--ger", "two hyphens"),
        ("depot", "exists already"),
        ("verifier", "exists already"),  # an event service, without gitops files yet
        ("ledger", "exists already"),  # the one just generated
    ],
)
def test_a_bad_name_is_refused_and_nothing_is_written(
    generated: Generated, name: str, says: str
) -> None:
    result = service_template(generated.root, "new", name)
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert git(generated.root, "status", "--porcelain", "--untracked-files=all") == ""


def test_the_generated_service_passes_its_own_lint_and_tests(
    generated: Generated, tmp_path: Path
) -> None:
    # Its report goes to a folder of the test: the copy shares the checkout's .cache, and
    # the suite's reports there would count it as a session of its own.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    env["CI"] = "true"
    reports = f"REPORTS={tmp_path}"
    targets = [f"lint-{generated.name}", f"test-{generated.name}"]
    result = subprocess.run(
        ["make", "--no-print-directory", reports, *targets],
        cwd=generated.root, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "4 passed" in result.stdout, result.stdout[-2000:]


PIN = re.compile(r'"([A-Za-z0-9_.\[\]-]+)==([^"]+)"')


def test_the_template_pins_what_the_services_pin() -> None:
    """Renovate updates the services' pyproject files, not the template's: a package both
    pin must have one version, or a new service starts behind the others."""
    template = ROOT / "templates/service/template/services/{{ name }}/pyproject.toml.jinja"
    pinned = dict(PIN.findall(template.read_text()))
    assert {"fastapi", "uvicorn", "pytest", "ruff", "mypy"} <= set(pinned)
    for service in ("depot", "verifier"):
        theirs = dict(PIN.findall((ROOT / "services" / service / "pyproject.toml").read_text()))
        differ = {p: (v, theirs[p]) for p, v in pinned.items() if p in theirs and theirs[p] != v}
        assert differ == {}, f"template vs {service}: {differ}"
