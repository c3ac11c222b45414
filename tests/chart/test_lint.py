"""helm lint --strict for every environment x profile, with the values schema enforced."""

from __future__ import annotations

import subprocess

from tests.chart.rendering import CHART, NAMESPACE, Combo


def test_helm_lint_strict(helm: str, combo: Combo) -> None:
    result = subprocess.run(
        [helm, "lint", "--strict", str(CHART), "--namespace", NAMESPACE, *combo.helm_args()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_chart_defaults_lint_once_an_image_is_given(helm: str) -> None:
    """The chart alone (no GitOps values) is usable by a second service."""
    digest = "sha256:" + "0" * 64
    result = subprocess.run(
        [
            helm,
            "lint",
            "--strict",
            str(CHART),
            "--set",
            "image.repository=example/app",
            "--set",
            "image.tag=v1.0.0",
            "--set",
            f"image.digest={digest}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
