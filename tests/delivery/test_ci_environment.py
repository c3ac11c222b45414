"""CI runs where the suite is proven: the rules GitHub's runners would break (issue 15).

The workflows cannot run here; these tests read them and hold them to the facts of the
runner image and the setup scripts: Terraform is not on `ubuntu-24.04`, the runner's
Docker (containerd.io) conflicts with Debian's runc, mmdebstrap and podman need root, and
a pinned commit that is not the tag's commit fails the job.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.delivery.test_workflows import WORKFLOWS, load, uses_lines, workflow_files
from tests.support.make import dry_run
from tests.support.tools import ROOT

PINS = yaml.safe_load((ROOT / "docs/pins/actions.yaml").read_text())
TERRAFORM_SETUP = ROOT / "scripts/setup/terraform.sh"
SETUP_TERRAFORM_ACTION = "hashicorp/setup-terraform@"
# What conflicts with the runner's containerd.io, or needs root the runner user lacks.
RUNNER_FORBIDDEN_PACKAGES = {"runc", "podman", "mmdebstrap", "buildah"}


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, name, job)
        for path in workflow_files()
        for name, job in load(path)["jobs"].items()
    ]


def run_lines(job: dict[str, Any]) -> list[str]:
    return [str(step.get("run", "")) for step in job.get("steps", [])]


def step_index(job: dict[str, Any], predicate: Any) -> int:
    for i, step in enumerate(job.get("steps", [])):
        if predicate(step):
            return i
    return -1


def pinned_terraform_version() -> str:
    match = re.search(r"^TERRAFORM_VERSION=(\S+)$", TERRAFORM_SETUP.read_text(), re.M)
    assert match, "scripts/setup/terraform.sh pins no TERRAFORM_VERSION"
    return match.group(1)


def debian_image() -> str:
    return f"debian:12@{PINS['containers']['debian:12']['digest']}"


def test_every_job_running_make_setup_is_debian_12_root_with_terraform_first() -> None:
    """Blockers 1 and 3: `make setup` needs Terraform, root and Debian 12 (mmdebstrap)."""
    checked = 0
    for workflow, name, job in jobs():
        if not any(re.search(r"\bmake setup\b(?!-)", line) for line in run_lines(job)):
            continue
        checked += 1
        where = f"{workflow}: job {name}"
        container = job.get("container") or {}
        assert container.get("image") == debian_image(), (
            f"{where} runs `make setup` outside the pinned Debian 12 container "
            f"({debian_image()}, docs/pins/actions.yaml)"
        )
        assert "--privileged" in str(container.get("options", "")), (
            f"{where}: podman and mmdebstrap inside the container need --privileged"
        )
        assert "user" not in container.get("options", ""), f"{where}: must run as root"
        tf = step_index(job, lambda s: str(s.get("uses", "")).startswith(SETUP_TERRAFORM_ACTION))
        setup = step_index(job, lambda s: "make setup" in str(s.get("run", "")))
        assert 0 <= tf < setup, f"{where}: Terraform must be installed before `make setup`"
        assert job["steps"][tf]["with"]["terraform_version"] == pinned_terraform_version()
        unzip = step_index(job, lambda s: "unzip" in str(s.get("run", "")))
        assert 0 <= unzip < tf, f"{where}: setup-terraform extracts with unzip; install it first"
    assert checked, "no job runs make setup: the CI matrix is gone"


def check_base_images(
    tmp_path: Path, dockerfile: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the release's base-image check on `dockerfile` with a stand-in docker."""
    return subprocess.run(
        ["bash", str(ROOT / ".github/scripts/check-base-images.sh"), str(dockerfile)],
        env={**env, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def setup_scripts_of(make_target: str) -> list[Path]:
    dry = dry_run(make_target)
    return [ROOT / s for s in re.findall(r"scripts/setup/[\w.-]+\.sh", dry)]


def apt_packages(script: Path) -> set[str]:
    packages: set[str] = set()
    for line in script.read_text().splitlines():
        if re.match(r"^\s*(\[.*\]\s*(\|\||&&)\s*)?apt_install\b", line) or " apt_install " in line:
            packages |= set(line.split("apt_install", 1)[1].split())
    return packages


def test_no_job_on_the_runner_installs_runc_or_podman() -> None:
    """Blocker 2: on the runner Docker is containerd.io; installing runc removes it."""
    checked = 0
    for workflow, name, job in jobs():
        if job.get("container") or "steps" not in job:
            continue
        for line in run_lines(job):
            assert not re.search(r"apt(-get)?\s+install[^\n]*\b(runc|podman)\b", line), (
                f"{workflow}: job {name} apt-installs runc/podman next to the runner's Docker"
            )
            for target in re.findall(r"\bmake (setup[\w-]*)", line):
                checked += 1
                for script in setup_scripts_of(target):
                    bad = apt_packages(script) & RUNNER_FORBIDDEN_PACKAGES
                    assert not bad, (
                        f"{workflow}: job {name} runs `make {target}`, whose "
                        f"{script.relative_to(ROOT)} installs {sorted(bad)} on the runner"
                    )
    assert checked, "no runner job runs a setup target (the kind job should: make setup-kind)"


def test_the_full_setup_does_install_runc_so_the_runner_rule_can_fail() -> None:
    # The rule above is only worth something while the full setup really installs runc.
    full = set().union(*(apt_packages(s) for s in setup_scripts_of("setup")))
    assert "runc" in full and "podman" in full


def test_kind_job_installs_only_what_it_uses() -> None:
    kind = load(WORKFLOWS / "ci.yml")["jobs"]["kind"]
    assert "make setup-kind" in run_lines(kind)
    assert [s.name for s in setup_scripts_of("setup-kind")] == ["helm.sh"]


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_action_is_recorded_in_docs_pins(path: Path) -> None:
    """Each `uses:` commit is the one verified against the action's repository."""
    recorded = PINS["actions"]
    for ref in uses_lines(path):
        if ref.startswith("./"):
            continue
        action, rest = ref.split("@", 1)
        commit, tag = rest.split(" # ")
        assert action in recorded, f"{path.name}: {action} is not in docs/pins/actions.yaml"
        assert (commit, tag) == (recorded[action]["commit"], recorded[action]["tag"]), (
            f"{path.name}: {action}@{commit} # {tag} differs from docs/pins/actions.yaml "
            f"({recorded[action]['commit']} # {recorded[action]['tag']})"
        )


def test_every_recorded_action_is_used() -> None:
    used = {
        ref.split("@", 1)[0]
        for path in workflow_files()
        for ref in uses_lines(path)
        if not ref.startswith("./")
    }
    assert set(PINS["actions"]) == used


def test_terraform_is_one_version_everywhere() -> None:
    version = pinned_terraform_version()
    assert PINS["tools"]["terraform"]["version"] == version
    for path in workflow_files():
        for step in (s for j in load(path)["jobs"].values() for s in j.get("steps", [])):
            if str(step.get("uses", "")).startswith(SETUP_TERRAFORM_ACTION):
                assert step["with"]["terraform_version"] == version, path.name
                assert step["with"]["terraform_wrapper"] is False, path.name


def test_cosign_is_the_verified_version() -> None:
    release = load(WORKFLOWS / "release.yml")
    installer = next(
        s for s in release["jobs"]["image"]["steps"] if "cosign-installer" in str(s.get("uses"))
    )
    assert installer["with"]["cosign-release"] == PINS["tools"]["cosign"]["version"]
    assert PINS["tools"]["cosign"]["version"].startswith("v3."), "cosign 3 writes OCI referrers"
    # The legacy .sig-tag path must not be switched back on.
    assert "new-bundle-format=false" not in (WORKFLOWS / "release.yml").read_text()


def test_sarif_upload_has_the_permissions_private_repositories_need() -> None:
    """Blocker 6: upload-sarif needs security-events: write and, private, actions: read."""
    for workflow, name, job in jobs():
        if any("upload-sarif" in str(s.get("uses", "")) for s in job.get("steps", [])):
            assert job["permissions"].get("security-events") == "write", f"{workflow} {name}"
            assert job["permissions"].get("actions") == "read", f"{workflow} {name}"


def fake_docker(tmp_path: Path, resolvable: str) -> dict[str, str]:
    """A `docker` that resolves one reference only. A test double: no registry is
    reachable here, so the real `docker buildx imagetools inspect` cannot run."""
    script = tmp_path / "bin" / "docker"
    script.parent.mkdir()
    script.write_text(
        f'#!/bin/sh\n[ "$4" = "{resolvable}" ] && exit 0\necho "ERROR: $4: not found" >&2; exit 1\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{script.parent}:{os.environ['PATH']}"}


def test_base_image_check_fails_naming_the_argument_and_the_fix(tmp_path: Path) -> None:
    """Blocker 4: an unresolvable FROM digest fails the image job before any build."""
    good = "example.test/base:1@sha256:" + "a" * 64
    bad = "example.test/uv:2@sha256:" + "b" * 64
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"ARG BASE_IMAGE={good}\nARG UV_IMAGE={bad}\nFROM ${{BASE_IMAGE}}\n")
    docker = fake_docker(tmp_path, good)
    result = check_base_images(tmp_path, dockerfile, docker)
    assert result.returncode == 1
    assert f"UV_IMAGE={bad} does not resolve" in result.stderr
    assert "fix: look up the current digest" in result.stderr
    assert "BASE_IMAGE" in (tmp_path / "summary.md").read_text()
    dockerfile.write_text(f"ARG BASE_IMAGE={good}\n")
    ok = check_base_images(tmp_path, dockerfile, docker)
    assert ok.returncode == 0, ok.stderr


def test_image_job_checks_base_images_before_building() -> None:
    image = load(WORKFLOWS / "ci.yml")["jobs"]["image"]
    check = step_index(image, lambda s: "check-base-images.sh" in str(s.get("run", "")))
    build = step_index(image, lambda s: "build-push-action" in str(s.get("uses", "")))
    assert 0 <= check < build
    dockerfile_args = re.findall(
        r"^ARG (\w+_IMAGE)=(\S+)$", (ROOT / "services/Dockerfile").read_text(), re.M
    )
    images = yaml.safe_load((ROOT / "docs/pins/images.yaml").read_text())["images"]
    for name, ref in dockerfile_args:
        recorded = images[name]
        assert ref == f"{recorded['ref']}@{recorded['digest']}", f"{name} differs from the record"


GATE = "vars.PLATFORM_ENVIRONMENTS_READY == 'true'"


def test_no_job_runs_in_an_environment_before_it_is_protected() -> None:
    """GitHub creates a missing environment unprotected: gate every job that names one."""
    reusable_with_environment = {
        f"./.github/workflows/{p.name}"
        for p in workflow_files()
        if any("environment" in j for j in load(p)["jobs"].values())
        and "workflow_call" in load(p)["on"]
    }
    checked = 0
    for path in workflow_files():
        all_jobs = load(path)["jobs"]

        def gated(
            name: str, seen: tuple[str, ...] = (), all_jobs: dict[str, Any] = all_jobs
        ) -> bool:
            job = all_jobs[name]
            if GATE in str(job.get("if", "")):
                return True
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            # A job whose needs are skipped is skipped too (the default success()).
            return any(gated(n, (*seen, name)) for n in needs if n not in seen)

        for name, job in all_jobs.items():
            if "environment" in job and "workflow_call" in load(path)["on"]:
                continue  # gated at the call site
            if "environment" in job or job.get("uses") in reusable_with_environment:
                checked += 1
                assert gated(name), f"{path.name}: job {name} runs in an environment ungated"
    assert checked >= 6


def test_a_release_before_the_prerequisites_fails_loudly() -> None:
    verify = load(WORKFLOWS / "release.yml")["jobs"]["verify"]
    step = next(s for s in verify["steps"] if s.get("name") == "the release environment exists")
    assert "PLATFORM_ENVIRONMENTS_READY" in str(step["env"]) and "exit 1" in step["run"]


def test_the_rehearsal_runs_in_make_test_and_its_full_form_in_ci() -> None:
    targets = subprocess.run(
        ["make", "-s", "ci-targets"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    assert '"test-rehearsal"' in targets and '"test-rehearsal-full"' in targets
    make_test = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    loop = next(line for line in make_test.splitlines() if "for t in" in line)
    assert " test-rehearsal " in f"{loop} " and "test-rehearsal-full" not in loop


def run_podman_setup(tmp_path: Path, installed: set[str]) -> str:
    """scripts/setup/podman.sh with dpkg and apt-get as test doubles (installing packages
    for real would change this machine): dpkg knows `installed`, apt-get logs its call."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "apt.log"
    (bin_dir / "dpkg").write_text(
        f'#!/bin/sh\ncase " {" ".join(sorted(installed))} " in *" $2 "*) exit 0;; esac\nexit 1\n'
    )
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    for tool in ("dpkg", "apt-get"):
        (bin_dir / tool).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "DEPOT_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/setup/podman.sh")],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return log.read_text() if log.exists() else ""


def test_podman_setup_never_installs_runc_next_to_containerd_io(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("podman.sh installs with sudo when not root; the double covers root only")
    on_runner = run_podman_setup(tmp_path / "runner", {"containerd.io"})
    assert "install" in on_runner and "podman" in on_runner
    assert " runc" not in on_runner
    on_debian = run_podman_setup(tmp_path / "debian", set())
    assert " runc" in on_debian and "podman" in on_debian


PLACEHOLDER_DIGEST = "sha256:" + "0" * 64


def test_base_image_check_refuses_the_placeholder_digest(tmp_path: Path) -> None:
    """An unverified digest is committed as all zeros (ADR 0052); the check refuses it by
    name even where a registry would answer for it."""
    placeholder = f"example.test/base:1@{PLACEHOLDER_DIGEST}"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"ARG BASE_IMAGE={placeholder}\nFROM ${{BASE_IMAGE}}\n")
    result = check_base_images(tmp_path, dockerfile, fake_docker(tmp_path, placeholder))
    assert result.returncode == 1
    assert "unverified placeholder digest" in result.stderr


def test_a_placeholder_base_digest_is_recorded_as_one() -> None:
    """The Dockerfile and docs/pins/images.yaml agree on whether a digest is verified."""
    images = yaml.safe_load((ROOT / "docs/pins/images.yaml").read_text())["images"]
    for name, record in images.items():
        is_placeholder = record["digest"] == PLACEHOLDER_DIGEST
        assert (record["status"] == "placeholder") == is_placeholder, name
