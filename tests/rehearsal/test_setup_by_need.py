"""Setup by need (ADR 0080): each make target installs what it uses, and no more.

A newcomer's first command is `make run`; it must not wait for a container runtime,
Terraform, Helm or a scanner it never uses. Each test area installs what its tests name,
so `make test-<area>` works alone on a fresh clone, and `make setup` still installs it
all. The chains are read from make itself (`make -n --always-make`: every command the
target would run, prerequisites first), not from the Makefile's text.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.make import dry_run
from tests.support.tools import CACHE_BIN, ROOT, prerequisite_missing

SETUP_SCRIPT = re.compile(r"scripts/setup/([\w.-]+\.sh)")
# What `make run` may install: the pinned uv and the service's locked environment.
RUN_MAY_USE = {"python.sh"}
# The families `make run` must never wait for, by the script that installs them.
FAMILY = {
    "podman.sh": "container",
    "base-image.sh": "container",
    "terraform.sh": "Terraform",
    "helm.sh": "Helm",
    "checkov.sh": "scanner",
}
# The same families by the commands that would betray them in a chain or a script.
FORBIDDEN_COMMAND = re.compile(
    r"\b(podman|buildah|mmdebstrap|docker|terraform|helm|checkov|trivy|hadolint|npm)\b"
)
# Each test target and the folders of its tests; every setup script those tests name
# (their require_tool calls say which script installs a tool, their messages which one to
# run) must be in the target's chain.
AREAS = {
    "test-chart": ["tests/chart", "tests/policies"],
    "test-conformance": ["tests/conformance", "tools/conformance"],
    "test-container": ["tests/container"],
    "test-delivery": ["tests/delivery"],
    "test-depot": ["services/depot/tests"],
    "test-docs": ["tests/docs"],
    "test-infra": ["tests/infra"],
    "test-observability": ["tests/observability"],
    "test-rehearsal": ["tests/rehearsal"],
    "test-reliability": ["tests/reliability"],
    "test-runtime": ["libs/service-runtime/tests"],
    "test-template": ["tests/template", "tools/service_template.py"],
    "test-up": ["tests/up"],
    "test-verifier": ["services/verifier/tests"],
}
# Targets that run other areas' tests, so they install everything (`make setup`).
WHOLE_SETUP = {"test-mutations", "test-mutations-slow"}
# Test files that read the setup scripts as data (pins, apt packages) without using what
# they install.
READS_SCRIPTS_AS_DATA = {"test_ci_environment.py", "test_renovate.py", "test_setup_by_need.py"}


def setup_scripts(chain: str) -> list[str]:
    return SETUP_SCRIPT.findall(chain)


def forbidden_in_run(chain: str) -> list[str]:
    """Why a `make run` chain is too heavy: each step it must not take, named."""
    problems = [
        f"{script} ({FAMILY.get(script, 'not needed to run the service')})"
        for script in dict.fromkeys(setup_scripts(chain))
        if script not in RUN_MAY_USE
    ]
    problems += [
        f"command: {line}" for line in chain.splitlines() if FORBIDDEN_COMMAND.search(line)
    ]
    return problems


def code_lines(script: Path) -> str:
    return "\n".join(
        line for line in script.read_text().splitlines() if not line.lstrip().startswith("#")
    )


def test_make_run_installs_only_uv_and_the_service_environment() -> None:
    chain = dry_run("run")
    assert forbidden_in_run(chain) == [], chain
    # The service's environment only, not the platform tests' nor every service's.
    assert [line for line in chain.splitlines() if "scripts/setup/" in line] == [
        "bash scripts/setup/python.sh services/depot"
    ], chain
    # And what that script does: uv and its environments, no other tool family.
    for script in RUN_MAY_USE:
        body = code_lines(ROOT / "scripts/setup" / script)
        assert not FORBIDDEN_COMMAND.search(body), f"{script} runs {FORBIDDEN_COMMAND.search(body)}"
        assert "npm_ci_locked" not in body


def test_the_run_check_catches_a_run_that_depends_on_the_whole_setup(tmp_path: Path) -> None:
    # The regression this guards against: `run: setup`, as it was before ADR 0080.
    extra = tmp_path / "run-needs-setup.mk"
    extra.write_text("run: setup\n")
    problems = " ".join(forbidden_in_run(dry_run("run", extra)))
    for family in ("container", "Terraform", "Helm", "scanner"):
        assert family in problems, problems


def scripts_named_by_tests(folders: list[str]) -> set[str]:
    named: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            if path.name not in READS_SCRIPTS_AS_DATA:
                named |= set(SETUP_SCRIPT.findall(path.read_text()))
    return named


def missing_setup(target: str, folders: list[str]) -> set[str]:
    return scripts_named_by_tests(folders) - set(setup_scripts(dry_run(target)))


def ci_targets() -> list[str]:
    out = subprocess.run(
        ["make", "-s", "ci-targets"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    return [str(t) for t in json.loads(out.stdout)]


@pytest.mark.parametrize("target", sorted(AREAS))
def test_each_area_installs_what_its_tests_use(target: str) -> None:
    missing = missing_setup(target, AREAS[target])
    assert not missing, (
        f"`make {target}` alone would not install {sorted(missing)}, which its tests use: "
        f"add setup-tool-<name> to its setup target (mk/*.mk)"
    )
    assert "python.sh" in setup_scripts(dry_run(target)), f"{target} runs pytest through uv"


def test_the_area_check_catches_an_area_without_its_tools() -> None:
    # The infrastructure area's setup has nothing of the container tests.
    assert {"podman.sh", "base-image.sh"} <= missing_setup("test-infra", ["tests/container"])


def test_every_test_target_has_its_setup() -> None:
    tests = {t for t in ci_targets() if t.startswith("test-")}
    undeclared = tests - set(AREAS) - WHOLE_SETUP - {"test-rehearsal-full"}
    assert not undeclared, f"{sorted(undeclared)}: add them to AREAS with their test folders"
    full = setup_scripts(dry_run("setup"))
    for target in WHOLE_SETUP:
        assert set(setup_scripts(dry_run(target))) == set(full), target


@pytest.mark.parametrize("target", ["run", "setup-kind", *sorted(AREAS), "test-rehearsal-full"])
def test_what_a_target_installs_is_part_of_make_setup(target: str) -> None:
    beyond = set(setup_scripts(dry_run(target))) - set(setup_scripts(dry_run("setup")))
    assert not beyond, f"`make {target}` installs {sorted(beyond)}, which `make setup` does not"


# --- The pinned uv is the one make runs ---------------------------------------------
#
# Instrumented runs of the setup scripts: every tool they would call is a stub on PATH
# that records its call, so nothing is downloaded and nothing outside tmp_path changes.


def pinned_uv_version() -> str:
    match = re.search(r"^UV_VERSION=(\S+)$", (ROOT / "scripts/setup/python.sh").read_text(), re.M)
    assert match
    return match.group(1)


def stub(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/usr/bin/env bash\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def user_path_with_another_uv(tmp_path: Path, log: Path) -> Path:
    """A user's PATH whose first uv is another version, and whose python3 would install one."""
    user_bin = tmp_path / "user-bin"
    stub(user_bin / "uv", f'echo "foreign $*" >> {log}; echo "uv 0.5.0"')
    # What `python3 -m venv DIR` then `DIR/bin/python -m pip install uv==V` would leave: a
    # uv that records its calls as the pinned one.
    made = tmp_path / "made-by-pip"
    stub(
        made / "uv",
        f'echo "pinned $*" >> {log}; [ "$1" != --version ] || echo "uv {pinned_uv_version()}"',
    )
    stub(made / "python", f'echo "pip $*" >> {log}; cp {made / "uv"} "$(dirname "$0")/uv"')
    stub(
        user_bin / "python3",
        f'echo "python3 $*" >> {log}\n'
        'if [ "$1 $2" = "-m venv" ]; then d="${*: -1}"; mkdir -p "$d/bin"; '
        f'cp {made / "python"} "$d/bin/python"; fi',
    )
    return user_bin


def run_python_setup(tmp_path: Path, user_bin: Path, *projects: str) -> None:
    env = {
        "PATH": f"{user_bin}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "DEPOT_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/setup/python.sh"), *projects],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_setup_puts_the_pinned_uv_first_and_syncs_with_it(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    run_python_setup(tmp_path, user_path_with_another_uv(tmp_path, log), "services/depot")
    calls = log.read_text().splitlines()
    assert any(c.startswith("pip ") and f"uv=={pinned_uv_version()}" in c for c in calls), calls
    assert (tmp_path / "cache/bin/uv").exists(), "the pinned uv is not in .cache/bin"
    assert any(c.startswith("pinned sync --frozen --all-groups -q") for c in calls), calls
    assert not [c for c in calls if c.startswith("foreign")], "the user's other uv was run"


def test_an_installed_pinned_uv_is_kept_whatever_uv_the_user_path_finds_first(
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls.log"
    user_bin = user_path_with_another_uv(tmp_path, log)
    run_python_setup(tmp_path, user_bin, "services/depot")
    log.write_text("")
    run_python_setup(tmp_path, user_bin, "services/depot")  # as a second make target would
    calls = log.read_text().splitlines()
    assert not [c for c in calls if c.startswith(("python3", "pip"))], f"reinstalled: {calls}"
    assert sum(c.startswith("pinned sync --frozen --all-groups -q") for c in calls) == 1, calls
    assert not [c for c in calls if c.startswith("foreign")], calls


def test_the_uv_image_is_packed_from_the_pinned_uv_not_python3s(tmp_path: Path) -> None:
    """The reported failure: python3's own `uv` module (another version) stopped setup."""
    real_uv = CACHE_BIN / "uv"
    if not real_uv.exists():
        prerequisite_missing("the pinned uv is not in .cache/bin; run scripts/setup/python.sh")
    log = tmp_path / "calls.log"
    user_bin = user_path_with_another_uv(tmp_path, log)
    # python3 with a `uv` module of another version, as `pip install uv` leaves it.
    stub(user_bin / "python3", f'echo "{user_bin / "uv"}"')
    stub(user_bin / "podman", 'echo "podman $*" >> ' + str(log))  # every image "exists"
    cache = tmp_path / "cache"
    (cache / "bin").mkdir(parents=True)
    (cache / "bin/uv").symlink_to(real_uv.resolve())
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/setup/base-image.sh")],
        env={"PATH": f"{user_bin}{os.pathsep}{os.environ['PATH']}", "DEPOT_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    images = (cache / "container/images.env").read_text()
    assert f"UV_IMAGE=localhost/depot-uv:{pinned_uv_version()}" in images, images
