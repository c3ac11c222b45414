"""The event-driven worker's image, built from the one Dockerfile, meets the contract as
a worker: no ingress, probes and /metrics on its own port, the runtime's series instead
of the HTTP SLO's, readiness failing on SIGTERM while the probes keep answering, a clean
exit within the grace period, JSON logs, and its configuration refused when wrong."""

from __future__ import annotations

from pathlib import Path

from tests.conformance.conftest import VERIFIER_CONTRACT, Conform
from tests.conformance.test_depot import CHECKS
from tests.container.conftest import BuiltImage


def test_verifier_conforms_as_a_worker(conformance: Conform, verifier_image: BuiltImage) -> None:
    findings = conformance(verifier_image.ref, VERIFIER_CONTRACT)
    failures = [f.render() for f in findings if not f.ok]
    assert failures == [], "\n".join(failures)
    assert {f.check for f in findings} == CHECKS
    metrics = {f.summary for f in findings if f.check == "metrics"}
    assert any("verifier_build_info" in summary for summary in metrics), metrics


def test_a_worker_held_to_the_server_contract_lacks_the_slo_series(
    conformance: Conform, verifier_image: BuiltImage, tmp_path: Path
) -> None:
    """Without `workload: worker` the worker is held to the HTTP SLO it never serves:
    the metrics check fails (and only it), so the field is what makes it conform."""
    text = VERIFIER_CONTRACT.read_text().replace("workload: worker\n", "")
    assert "workload" not in text
    server = tmp_path / "conformance.yaml"
    server.write_text(text)
    findings = conformance(verifier_image.ref, server)
    failed = {f.check for f in findings if not f.ok}
    assert failed == {"metrics"}, [f.render() for f in findings if not f.ok]
