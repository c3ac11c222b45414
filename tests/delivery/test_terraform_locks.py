"""Every Terraform root has a committed lock file that `init -lockfile=readonly` accepts.

terraform-root.yml plans and applies with `terraform init -lockfile=readonly`; without a
committed .terraform.lock.hcl (or with one that no longer satisfies the root's provider
constraints) every plan and apply stops at init. `make tf-lock` writes them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.delivery.test_workflows import WORKFLOWS, load
from tests.infra.tf import CLI_CONFIG, Terraform, terraform_binary
from tests.support.tools import ROOT

LIVE = ROOT / "infra" / "live"
PROVIDER = re.compile(
    r'provider "registry\.terraform\.io/(?P<source>[\w-]+/[\w-]+)" \{\s*'
    r'version\s*=\s*"(?P<version>[^"]+)"\s*'
    r'constraints\s*=\s*"(?P<constraints>[^"]+)"\s*'
    r"hashes\s*=\s*\[(?P<hashes>[^\]]*)\]",
    re.S,
)
REQUIRED = re.compile(r'(\w+)\s*=\s*\{\s*source\s*=\s*"([^"]+)"\s*version\s*=\s*"([^"]+)"', re.S)


def roots() -> list[Path]:
    return sorted(p.parent for p in LIVE.rglob("versions.tf") if ".terraform" not in p.parts)


def required_providers(root: Path) -> dict[str, str]:
    text = "\n".join(p.read_text() for p in root.glob("*.tf"))
    block = text[text.index("required_providers") :]
    return {source: version for _, source, version in REQUIRED.findall(block)}


def test_there_are_roots() -> None:
    assert len(roots()) >= 4, roots()


@pytest.mark.parametrize("root", roots(), ids=lambda p: str(p.relative_to(LIVE)))
def test_each_root_locks_exactly_its_required_providers(root: Path) -> None:
    lock = root / ".terraform.lock.hcl"
    assert lock.exists(), f"{lock.relative_to(ROOT)} is missing: run `make tf-lock`"
    locked = {m["source"]: m for m in PROVIDER.finditer(lock.read_text())}
    required = required_providers(root)
    assert set(locked) == set(required), f"{root.name}: lock {set(locked)} vs {set(required)}"
    for source, constraint in required.items():
        entry = locked[source]
        assert entry["constraints"] == constraint, (
            f"{root.relative_to(ROOT)}: the lock records {entry['constraints']!r} for {source}, "
            f"versions.tf says {constraint!r}: run `make tf-lock`"
        )
        # At least the linux_amd64 hash the CI legs and the test machines need.
        assert re.search(r'"h1:[A-Za-z0-9+/=]+"', entry["hashes"]), f"{source}: no h1 hash"


@pytest.mark.parametrize("root", roots(), ids=lambda p: str(p.relative_to(LIVE)))
def test_readonly_init_accepts_the_lock_file(root: Path, tmp_path: Path) -> None:
    """What terraform-root.yml runs, against a copy so the tree is never written."""
    binary = terraform_binary()
    copy = tmp_path / "infra"
    shutil.copytree(ROOT / "infra", copy, ignore=shutil.ignore_patterns(".terraform"))
    workdir = copy / root.relative_to(ROOT / "infra")
    Terraform(binary, workdir).init("-backend=false", "-lockfile=readonly")
    providers = workdir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp"
    assert (providers / "aws").exists()
    # The provider came through the shared cache (a link into it), not a fresh unpack.
    cache = re.search(r'plugin_cache_dir = "([^"]+)"', CLI_CONFIG.read_text())
    assert cache, f"{CLI_CONFIG} sets no plugin_cache_dir (scripts/setup/terraform.sh)"
    platform_dir = next((providers / "aws").glob("*/linux_amd64"))
    assert platform_dir.is_symlink(), "the provider was unpacked into the root, not linked"
    assert str(platform_dir.readlink()).startswith(cache.group(1))


def test_terraform_root_workflow_inits_readonly_with_a_cache() -> None:
    job = load(WORKFLOWS / "terraform-root.yml")["jobs"]["terraform"]
    inits = [s for s in job["steps"] if "terraform init" in str(s.get("run", ""))]
    assert inits and all("-lockfile=readonly" in s["run"] for s in inits)
    assert "TF_PLUGIN_CACHE_DIR" in {**job.get("env", {})}
