"""A thin, typed driver for the real Terraform CLI.

Every run is offline: the provider comes from the filesystem mirror that
scripts/setup/terraform.sh found and wrote into .cache/terraform/cli.tfrc.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.tools import ROOT, prerequisite_missing, require_tool

CLI_CONFIG = ROOT / ".cache" / "terraform" / "cli.tfrc"
SETUP_SCRIPT = "scripts/setup/terraform.sh"
# Bounds every Terraform call: an emulator gap must fail the test, never hang it. The
# bound is generous because an apply is mostly the provider's fixed propagation waits
# (each SQS attribute write polls until six reads in a row agree, about 25 s; S3
# lifecycle rules about 55 s), and on a shared two-core runner the roots' plans and
# the emulators compete for the CPU in between.
DEFAULT_TIMEOUT_SECONDS = 900
# Terraform's default of 10 concurrent operations lets those waits hold every slot while
# independent resources queue behind them; against an emulator more slots cost nothing.
EMULATOR_PARALLELISM = 30


class TerraformError(RuntimeError):
    """A Terraform command failed; the message carries its output."""


def _text(captured: str | bytes | None) -> str:
    """What a timed-out run had printed (bytes even in text mode, or nothing)."""
    if isinstance(captured, bytes):
        return captured.decode(errors="replace")
    return captured or ""


def terraform_binary() -> str:
    binary = require_tool("terraform", installed_by=SETUP_SCRIPT)
    if not CLI_CONFIG.exists():
        # Same rule as a missing tool: fail in CI, skip loudly on a workstation.
        prerequisite_missing(
            f"{CLI_CONFIG.relative_to(ROOT)} is missing; run {SETUP_SCRIPT} (make setup)"
        )
    return binary


@dataclass
class Terraform:
    """One working directory (a module or root) and the environment to run it in."""

    binary: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        base = {
            k: v
            for k, v in os.environ.items()
            # Never let a developer's real AWS profile or credentials leak into a test run.
            if not k.startswith(("AWS_", "TF_"))
        }
        return {
            **base,
            "TF_CLI_CONFIG_FILE": str(CLI_CONFIG),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            **self.extra_env,
        }

    def run(
        self, *args: str, ok_codes: tuple[int, ...] = (0,), timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(
                [self.binary, *args],
                cwd=self.workdir,
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            # Say what was still in progress, not only that time ran out.
            raise TerraformError(
                f"terraform {' '.join(args)} in {self.workdir} still running after {timeout:.0f} s;"
                f" last output:\n{_text(expired.stdout)[-4000:]}\n--- stderr ---\n"
                f"{_text(expired.stderr)[-2000:]}"
            ) from None
        if result.returncode not in ok_codes:
            raise TerraformError(
                f"terraform {' '.join(args)} in {self.workdir} exited {result.returncode}\n"
                f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
            )
        return result

    def init(self, *args: str) -> None:
        self.run("init", "-no-color", "-input=false", *args)

    def validate(self) -> dict[str, Any]:
        result = self.run("validate", "-no-color", "-json", ok_codes=(0, 1))
        return dict(json.loads(result.stdout))

    def apply(self, *var_args: str, parallelism: int = EMULATOR_PARALLELISM) -> None:
        self.run("apply", "-no-color", "-auto-approve", f"-parallelism={parallelism}", *var_args)

    def plan_exit_code(self, *var_args: str, out: str | None = None) -> tuple[int, str]:
        """0 = no changes, 2 = changes (the -detailed-exitcode contract)."""
        extra = [f"-out={out}"] if out else []
        result = self.run(
            "plan", "-no-color", "-detailed-exitcode", *extra, *var_args, ok_codes=(0, 2)
        )
        return result.returncode, result.stdout

    def show_plan(self, plan_file: str) -> dict[str, Any]:
        return dict(json.loads(self.run("show", "-no-color", "-json", plan_file).stdout))

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-no-color", "-json").stdout)
        return {name: item["value"] for name, item in raw.items()}

    def destroy(self, *var_args: str, parallelism: int = EMULATOR_PARALLELISM) -> None:
        self.run("destroy", "-no-color", "-auto-approve", f"-parallelism={parallelism}", *var_args)
