"""`make conformance IMAGE=<ref> [CONTRACT=<file>]`: hold an image to the platform's
service contract (docs/conformance.md). Exit 0: conforms; 1: a check failed; 2: the
contract, the chart or a tool is unusable."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from tests.container.podman import Podman
from tests.support.tools import CACHE_BIN
from tools.conformance.chart import ChartError
from tools.conformance.contract import ContractError, load_contract
from tools.conformance.run import conform, summary


def _tool(name: str, installed_by: str) -> str:
    found = shutil.which(name, path=f"{CACHE_BIN}:/usr/local/bin:/usr/bin:/bin")
    if not found:
        raise ContractError(
            f"{name} not found; {installed_by} installs it (make setup-conformance)"
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__)
    parser.add_argument("--image", required=True, help="image reference in podman's store")
    parser.add_argument(
        "--contract", required=True, type=Path, help="the service's conformance.yaml"
    )
    args = parser.parse_args(argv)
    try:
        contract = load_contract(args.contract)
        podman = Podman(_tool("podman", "scripts/setup/podman.sh"))
        helm = _tool("helm", "scripts/setup/helm.sh")
        if not podman.image_exists(args.image):
            raise ContractError(f"{args.image} is not in podman's store (podman load or build it)")
        findings = conform(podman, helm, args.image, contract)
    except (ContractError, ChartError, RuntimeError) as error:  # RuntimeError: podman refused
        print(f"conformance: cannot run: {error}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding.render())
    print(summary(findings))
    return 0 if all(f.ok for f in findings) else 1


if __name__ == "__main__":
    sys.exit(main())
