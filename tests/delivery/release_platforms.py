"""What the release must do with each platform's bytes, read from the workflow itself.

The rule (issue "The image ships and stays patched", part 3): every platform the release
ships is built once and pushed once, by digest; that digest, not a rebuild, is what the
Trivy gate scans, what gets a CycloneDX SBOM (attested with cosign) and what runs; the
tagged manifest list is made of exactly those digests and is made after every gate
passed. `violations(job)` returns what breaks the rule, so tests can feed it crafted
workflows that must be refused.
"""

from __future__ import annotations

import re
from typing import Any

Step = dict[str, Any]
BUILD = "docker/build-push-action@"
TRIVY = "aquasecurity/trivy-action@"
DIGEST_OF = re.compile(r"^\$\{\{ steps\.([\w-]+)\.outputs\.digest \}\}$")
IMAGE_AT = re.compile(r"^\$\{\{ env\.IMAGE \}\}@\$\{\{ steps\.([\w-]+)\.outputs\.digest \}\}$")
SHIPPED = {"linux/amd64", "linux/arm64"}


def _uses(step: Step, action: str) -> bool:
    return str(step.get("uses", "")).startswith(action)


def _outputs(step: Step) -> dict[str, str]:
    text = str(step.get("with", {}).get("outputs", ""))
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def _digest_env(step: Step) -> dict[str, str]:
    """Environment variable -> id of the build step whose digest it carries."""
    found = {}
    for name, value in (step.get("env") or {}).items():
        match = DIGEST_OF.match(str(value))
        if match:
            found[name] = match.group(1)
    return found


def builds(steps: list[Step]) -> dict[str, str]:
    """Build step id -> its one platform."""
    return {
        str(step.get("id")): str(step.get("with", {}).get("platforms"))
        for step in steps
        if _uses(step, BUILD)
    }


def violations(job: dict[str, Any]) -> list[str]:
    steps: list[Step] = job["steps"]
    errors: list[str] = []
    built = builds(steps)
    for step in steps:
        if not _uses(step, BUILD):
            continue
        with_ = step.get("with", {})
        where = f"build step {step.get('id')}"
        if "," in str(with_.get("platforms")):
            errors.append(f"{where}: builds several platforms at once; scan each one's digest")
        outputs = _outputs(step)
        if with_.get("push") or with_.get("tags") or with_.get("load"):
            errors.append(f"{where}: pushes a tag or loads locally instead of one push by digest")
        if outputs.get("push-by-digest") != "true" or outputs.get("push") != "true":
            errors.append(f"{where}: not pushed by digest (outputs: {with_.get('outputs')})")
        if with_.get("provenance") not in (False, "false") or with_.get("sbom") not in (
            False,
            "false",
        ):
            errors.append(f"{where}: attestations make the digest an index, not the scanned image")
    if set(built.values()) != SHIPPED:
        errors.append(f"platforms built {sorted(built.values())}, shipped {sorted(SHIPPED)}")

    merge = next((s for s in steps if "imagetools create" in str(s.get("run", ""))), None)
    if merge is None:
        return [*errors, "no step makes the manifest list from the platform digests"]
    merge_at = steps.index(merge)
    merged_env = _digest_env(merge)
    create = next(line for line in str(merge["run"]).splitlines() if "imagetools create" in line)
    sources = re.findall(r'"\$IMAGE@\$(\w+)"', create)
    merged = {merged_env.get(var) for var in sources}
    if merged != set(built) or len(sources) != len(built):
        errors.append(
            f"the manifest list is made of {sorted(map(str, merged))}, built {sorted(built)}"
        )

    for build_id, platform in built.items():
        scans = [s for s in steps if _uses(s, TRIVY) and _image(s) == build_id]
        gates = [s for s in scans if s["with"].get("format") == "table"]
        sboms = [s for s in scans if s["with"].get("format") == "cyclonedx"]
        if not any(_gates(s) and steps.index(s) < merge_at for s in gates):
            errors.append(f"{platform}: its digest is not scanned as a gate before it is tagged")
        if not sboms:
            errors.append(f"{platform}: its digest gets no SBOM")
        for sbom in sboms:
            output = str(sbom["with"].get("output"))
            if not any(_attests(s, output, build_id) for s in steps):
                errors.append(f"{platform}: SBOM {output} is not attested to its digest")
        if not any(_runs(s, build_id, platform) and steps.index(s) < merge_at for s in steps):
            errors.append(f"{platform}: its digest is never run before it is tagged")
        if not any(_signs(s, build_id) for s in steps):
            errors.append(f"{platform}: its digest is not signed")
    if not any(_signs(s, str(merge.get("id"))) for s in steps):
        errors.append("the manifest list is not signed")
    for step in steps:
        if step.get("continue-on-error"):
            errors.append(f"step {step.get('name') or step.get('id')}: continue-on-error")
    return errors


def _image(step: Step) -> str | None:
    match = IMAGE_AT.match(str(step.get("with", {}).get("image-ref", "")))
    return match.group(1) if match else None


def _gates(step: Step) -> bool:
    with_ = step["with"]
    return bool(
        with_.get("exit-code") == "1"
        and with_.get("ignore-unfixed") is True
        and with_.get("severity") == "HIGH,CRITICAL"
    )


def _attests(step: Step, predicate: str, build_id: str) -> bool:
    env = _digest_env(step)
    for line in str(step.get("run", "")).splitlines():
        if "cosign attest" in line and f"--predicate {predicate} " in line:
            target = re.search(r'"\$IMAGE@\$(\w+)"', line)
            if target and env.get(target.group(1)) == build_id:
                return True
    return False


def _signs(step: Step, step_id: str) -> bool:
    env = _digest_env(step)
    for line in str(step.get("run", "")).splitlines():
        target = re.fullmatch(r'cosign sign --yes "\$IMAGE@\$(\w+)"', line.strip())
        if target and env.get(target.group(1)) == step_id:
            return True
    return False


def _runs(step: Step, build_id: str, platform: str) -> bool:
    env = _digest_env(step)
    for line in str(step.get("run", "")).splitlines():
        target = re.search(r'"\$IMAGE@\$(\w+)"', line)
        runs = "docker run" in line and f"--platform {platform}" in line
        if runs and target and env.get(target.group(1)) == build_id:
            return True
    return False
