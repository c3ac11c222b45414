"""Run what ships (ADR 0053): CI's image job and the release run the image built from
the real base, hardened, through the same tests that run the local build, before it is
scanned or pushed; each build is given SOURCE_DATE_EPOCH."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.container.depot_container import HARDENING
from tests.delivery.test_workflows import WORKFLOWS, load
from tests.support.tools import ROOT

RUN_SCRIPT = ".github/scripts/run-shipped-image.sh"
Step = dict[str, Any]


def index(steps: list[Step], predicate: Callable[[Step], bool]) -> int:
    found = [i for i, step in enumerate(steps) if predicate(step)]
    assert len(found) == 1, f"expected exactly one matching step, found {len(found)}"
    return found[0]


def is_build(step: Step) -> bool:
    return "build-push-action" in str(step.get("uses", ""))


def runs_shipped_image(step: Step) -> bool:
    return RUN_SCRIPT in str(step.get("run", ""))


def check_machine() -> str:
    return str(load(WORKFLOWS / "ci.yml")["jobs"]["check"]["container"]["image"])


def assert_runs_hardened_in_the_check_machine(step: Step, image_ref: str) -> None:
    run = str(step["run"])
    assert step["env"]["CHECK_MACHINE"] == check_machine(), "not the proven machine"
    assert "docker run --rm --privileged" in run
    assert f"docker save {image_ref} --output service-image.tar" in run or (
        'docker save "$SHIPPED_IMAGE" --output service-image.tar' in run
    )
    # The script is told which service's contract (and tests) the image is held to.
    assert run.rstrip().endswith('"$SERVICE"'), "the run script needs the service"


def services() -> set[str]:
    """The platform's services: the folders under services/ holding a uv project."""
    return {p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml")}


def test_ci_image_job_builds_every_service_from_the_one_dockerfile() -> None:
    """One job definition, the services listed once (its matrix), each leg building its
    service with its own cache and SARIF category (a shared category would let one
    service's upload replace another's findings)."""
    job = load(WORKFLOWS / "ci.yml")["jobs"]["image"]
    matrix = job["strategy"]["matrix"]
    assert set(matrix["service"]) == services() and len(matrix["service"]) == len(services())
    assert job["env"]["SHIPPED_IMAGE"] == "localhost/${{ matrix.service }}:ci"
    assert job["env"]["SERVICE"] == "${{ matrix.service }}"
    build = job["steps"][index(job["steps"], is_build)]
    assert build["with"]["file"] == "services/Dockerfile"
    assert "SERVICE=${{ matrix.service }}" in build["with"]["build-args"].splitlines()
    for cache in ("cache-from", "cache-to"):
        assert "scope=${{ matrix.service }}-${{ matrix.arch }}" in build["with"][cache]
    upload = next(s for s in job["steps"] if "upload-sarif" in str(s.get("uses")))
    assert upload["with"]["category"] == "trivy-image-${{ matrix.service }}-${{ matrix.arch }}"
    check = next(s for s in job["steps"] if "check-base-images.sh" in str(s.get("run", "")))
    assert check["run"].split()[-1] == "services/Dockerfile"


def test_ci_image_job_runs_the_real_image_before_scanning_on_both_architectures() -> None:
    job = load(WORKFLOWS / "ci.yml")["jobs"]["image"]
    arches = {(i["arch"], i["runner"]) for i in job["strategy"]["matrix"]["include"]}
    assert arches == {("amd64", "ubuntu-24.04"), ("arm64", "ubuntu-24.04-arm")}
    assert job["strategy"]["matrix"]["arch"] == ["amd64", "arm64"]
    assert job["runs-on"] == "${{ matrix.runner }}", "each architecture built natively"
    steps = job["steps"]
    build, run = index(steps, is_build), index(steps, runs_shipped_image)
    gate = index(steps, lambda s: s.get("name") == "scan (gate)")
    assert build < run < gate
    assert steps[build]["with"]["tags"] == "${{ env.SHIPPED_IMAGE }}"
    assert steps[build]["with"]["load"] is True
    assert '"$SHIPPED_IMAGE"' in steps[run]["run"].split(RUN_SCRIPT)[1]
    assert_runs_hardened_in_the_check_machine(steps[run], job["env"]["SHIPPED_IMAGE"])


def test_release_runs_the_real_image_before_pushing() -> None:
    # The release pushes each platform untagged, by digest (tests/delivery/
    # test_release_platforms.py); what ships is the tag, made only after the amd64 digest
    # it names has been run hardened through the image tests.
    steps = load(WORKFLOWS / "release.yml")["jobs"]["image"]["steps"]
    check = index(steps, lambda s: "check-base-images.sh" in str(s.get("run", "")))
    build = index(steps, lambda s: s.get("id") == "build-amd64")
    run = index(steps, runs_shipped_image)
    push = index(steps, lambda s: s.get("id") == "push")
    assert check < build < run < push
    assert steps[run]["env"]["AMD64"] == "${{ steps.build-amd64.outputs.digest }}"
    assert 'docker tag "$IMAGE@$AMD64" "localhost/$SERVICE:scan"' in steps[run]["run"]
    assert (
        steps[run]["run"]
        .rstrip()
        .endswith('service-image.tar "localhost/$SERVICE:scan" "$SERVICE"')
    )
    assert_runs_hardened_in_the_check_machine(steps[run], '"localhost/$SERVICE:scan"')


def test_the_run_script_runs_the_container_tests_against_that_image() -> None:
    script = (ROOT / RUN_SCRIPT).read_text()
    assert 'podman load --quiet --input "$archive"' in script
    assert 'make test-shipped-image DEPOT_IMAGE="$ref"' in script
    # Every service's image is held to its own contract; a service without one fails.
    assert 'contract="services/$service/conformance.yaml"' in script
    assert 'make conformance IMAGE="$ref" CONTRACT="$contract"' in script
    assert 'if [ ! -f "$contract" ]; then' in script
    for service in services():
        assert (ROOT / "services" / service / "conformance.yaml").is_file(), service
    makefile = (ROOT / "mk/container.mk").read_text()
    tests = re.search(r"^SHIPPED_IMAGE_TESTS := (.+)$", makefile, re.M)
    assert tests is not None
    assert set(tests.group(1).split()) == {
        "tests/container/test_image.py",
        "tests/container/test_container_run.py",
    }
    assert "DEPOT_IMAGE=$(DEPOT_IMAGE) $(PYTEST) $(SHIPPED_IMAGE_TESTS)" in makefile
    # What "hardened" means there: the chart's securityContext, flag for flag.
    for flag in (
        "--user=10001:10001",
        "--read-only",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
    ):
        assert flag in HARDENING


def test_every_image_build_gets_the_commit_time_as_source_date_epoch() -> None:
    for name in ("ci.yml", "release.yml"):
        for job in load(WORKFLOWS / name)["jobs"].values():
            for step in filter(is_build, job.get("steps", [])):
                assert "SOURCE_DATE_EPOCH=" in step["with"]["build-args"], name
                assert "SOURCE_DATE_EPOCH" in step.get("env", {}), name
