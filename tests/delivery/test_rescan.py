"""The deployed images are re-scanned every day (ADR 0052): the workflow lists what the
GitOps environment files deploy and scans each release with a failing gate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.delivery.test_workflows import WORKFLOWS, load
from tests.support.tools import ROOT

SCRIPT = ROOT / ".github/scripts/deployed-images.sh"


def deployed(environments: Path) -> list[dict[str, str]]:
    result = subprocess.run(
        ["bash", str(SCRIPT), str(environments)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return list(json.loads(result.stdout))


def test_lists_every_deployed_image_of_the_repository() -> None:
    expected = []
    for file in sorted((ROOT / "gitops/environments").glob("*/*.yaml")):
        image = yaml.safe_load(file.read_text())["image"]
        expected.append(
            {
                "env": file.parent.name,
                "service": file.stem,
                "tag": image["tag"],
                "digest": image["digest"],
            }
        )
    assert expected, "no deployed images found in gitops/environments"
    assert deployed(ROOT / "gitops/environments") == expected


def test_reads_only_the_image_block(tmp_path: Path) -> None:
    """A tag or digest elsewhere in the file is not taken for the deployed image."""
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "depot.yaml").write_text(
        "sidecar:\n  tag: v9.9.9\n  digest: sha256:" + "f" * 64 + "\n"
        "image:\n  tag: v1.2.3\n  digest: sha256:" + "a" * 64 + "\n"
        "other:\n  tag: v0.0.1\n"
    )
    (tmp_path / "dev" / "notes.yaml").write_text("sidecar:\n  tag: v9.9.9\n")
    assert deployed(tmp_path) == [
        {"env": "dev", "service": "depot", "tag": "v1.2.3", "digest": "sha256:" + "a" * 64}
    ]


def test_the_rescan_is_scheduled_and_gated() -> None:
    workflow = load(WORKFLOWS / "rescan.yml")
    assert workflow["on"]["schedule"][0]["cron"]
    assert "deployed-images.sh gitops/environments" in str(workflow["jobs"]["deployed"]["steps"])
    scan = workflow["jobs"]["scan"]
    assert scan["strategy"]["matrix"]["image"] == "${{ fromJSON(needs.deployed.outputs.images) }}"
    steps = scan["steps"]
    assert steps[0]["with"]["ref"] == "${{ matrix.image.tag }}", "scan the deployed release"
    gate = next(s for s in steps if s.get("name") == "scan (gate)")
    assert gate["with"]["exit-code"] == "1" and gate["with"]["severity"] == "HIGH,CRITICAL"
    build = next(s for s in steps if "build-push-action" in str(s.get("uses")))
    assert gate["with"]["image-ref"] == build["with"]["tags"]
