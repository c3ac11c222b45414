"""The promotion tool: edits change only the intended lines and refuse what can't ship."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tools.delivery.cli import app

DEV_DIGEST = "sha256:" + "a" * 64
STAGING_DIGEST = "sha256:" + "b" * 64

# Deliberately unusual formatting: a round-trip dump would reflow all of it.
DEV_FILE = f"""\
# dev: cost-optimized, one replica
profile: cost-optimized   # ignored by the chart
image:
  tag: "v1.4.0"           # set by the release workflow
  digest: {DEV_DIGEST}
env:
    DEPOT_LOG_LEVEL:   "DEBUG"
resources: {{requests: {{cpu: 100m}}}}
"""
STAGING_FILE = f"""\
profile: ha
image:
  tag: v1.3.2  # promoted from dev
  digest: '{STAGING_DIGEST}'
replicas: 2
list:
    - a
    -   b
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "gitops/services").mkdir(parents=True)
    (tmp_path / "gitops/services/depot.yaml").write_text("image:\n  repository: x\n")
    for env, text in {"dev": DEV_FILE, "staging": STAGING_FILE, "prod": "profile: ha\n"}.items():
        (tmp_path / "gitops/environments" / env).mkdir(parents=True)
        (tmp_path / "gitops/environments" / env / "depot.yaml").write_text(text)
    return tmp_path


def run(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--root", str(repo)])
    return result.exit_code, result.output


def changed_lines(before: str, after: str) -> list[str]:
    """Removed lines, then added lines: the order a reviewer reads a diff hunk in."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [line for line in diff if line[:2] == "- "] + [line for line in diff if line[:2] == "+ "]


def test_promote_copies_tag_and_digest_and_changes_only_those_lines(repo: Path) -> None:
    target = repo / "gitops/environments/staging/depot.yaml"
    code, output = run(repo, "promote", "--service", "depot", "--from", "dev", "--to", "staging")
    assert code == 0, output
    after = target.read_text()
    assert changed_lines(STAGING_FILE, after) == [
        "-   tag: v1.3.2  # promoted from dev",
        "- " + f"  digest: '{STAGING_DIGEST}'",
        "+   tag: v1.4.0  # promoted from dev",
        "+ " + f"  digest: '{DEV_DIGEST}'",
    ]
    assert yaml.safe_load(after)["image"] == {"tag": "v1.4.0", "digest": DEV_DIGEST}
    assert (repo / "gitops/environments/dev/depot.yaml").read_text() == DEV_FILE


def test_promote_adds_a_missing_image_block_without_touching_other_lines(repo: Path) -> None:
    run(repo, "promote", "--service", "depot", "--from", "dev", "--to", "staging")
    code, output = run(repo, "promote", "--service", "depot", "--from", "staging", "--to", "prod")
    assert code == 0, output
    after = (repo / "gitops/environments/prod/depot.yaml").read_text()
    assert after.startswith("profile: ha\n")
    assert yaml.safe_load(after) == {
        "profile": "ha",
        "image": {"tag": "v1.4.0", "digest": DEV_DIGEST},
    }


def test_bump_keeps_quotes_comments_and_a_second_run_is_a_no_op(repo: Path) -> None:
    path = repo / "gitops/environments/dev/depot.yaml"
    new_digest = "sha256:" + "c" * 64
    args = ("bump", "--service", "depot", "--env", "dev", "--tag", "v1.5.0")
    code, output = run(repo, *args, "--digest", new_digest)
    assert code == 0, output
    after = path.read_text()
    assert changed_lines(DEV_FILE, after) == [
        '-   tag: "v1.4.0"           # set by the release workflow',
        f"-   digest: {DEV_DIGEST}",
        '+   tag: "v1.5.0"           # set by the release workflow',
        f"+   digest: {new_digest}",
    ]
    code, output = run(repo, *args, "--digest", new_digest)
    assert code == 0 and "already at" in output
    assert path.read_text() == after


def test_bump_inserts_a_missing_digest_after_the_tag(repo: Path) -> None:
    path = repo / "gitops/environments/prod/depot.yaml"
    path.write_text("profile: ha\nimage:\n    tag: v1.0.0 # old\nreplicas: 3\n")
    code, output = run(
        repo, "bump", "--service", "depot", "--env", "prod", "--tag", "v1.0.1", "--digest",
        DEV_DIGEST,
    )  # fmt: skip
    assert code == 0, output
    assert path.read_text() == (
        f"profile: ha\nimage:\n    tag: v1.0.1 # old\n    digest: {DEV_DIGEST}\nreplicas: 3\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tag", "latest", "--digest", DEV_DIGEST), "'latest', which is never deployed"),
        (("--tag", "1.2.3", "--digest", DEV_DIGEST), "use the form vX.Y.Z"),
        (("--tag", "v1.2.3", "--digest", ""), "image.digest is missing"),
        (("--tag", "v1.2.3", "--digest", "sha256:abc"), "64 lowercase hex"),
    ],
)
def test_bump_refuses_undeployable_references(
    repo: Path, args: tuple[str, ...], message: str
) -> None:
    before = (repo / "gitops/environments/dev/depot.yaml").read_text()
    code, output = run(repo, "bump", "--service", "depot", "--env", "dev", *args)
    assert code == 2
    assert message in output
    assert (repo / "gitops/environments/dev/depot.yaml").read_text() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--service", "nope", "--from", "dev", "--to", "staging"), "known services: depot"),
        (("--service", "depot", "--from", "qa", "--to", "staging"), "not in the promotion order"),
        (("--service", "depot", "--from", "dev", "--to", "prod"), "use --to staging"),
        (("--service", "depot", "--from", "prod", "--to", "dev"), "nothing follows it"),
    ],
)
def test_promote_refuses_unknown_names_and_skipped_steps(
    repo: Path, args: tuple[str, ...], message: str
) -> None:
    code, output = run(repo, "promote", *args)
    assert code == 2
    assert message in " ".join(output.split())


def test_promote_refuses_a_source_without_digest_or_with_latest(repo: Path) -> None:
    dev = repo / "gitops/environments/dev/depot.yaml"
    staging_before = (repo / "gitops/environments/staging/depot.yaml").read_text()
    dev.write_text("image:\n  tag: v1.0.0\n")
    code, output = run(repo, "promote", "--service", "depot", "--from", "dev", "--to", "staging")
    assert code == 2 and "image.digest is missing" in output
    dev.write_text(f"image:\n  tag: latest\n  digest: {DEV_DIGEST}\n")
    code, output = run(repo, "promote", "--service", "depot", "--from", "dev", "--to", "staging")
    assert code == 2 and "latest" in output
    assert (repo / "gitops/environments/staging/depot.yaml").read_text() == staging_before


def test_unknown_environment_folder_is_named(repo: Path) -> None:
    shutil.rmtree(repo / "gitops/environments/staging")
    code, output = run(repo, "show", "--service", "depot", "--env", "staging")
    assert code == 2
    assert "known environments: dev, prod" in " ".join(output.split())


def test_show_prints_github_output_lines(repo: Path) -> None:
    code, output = run(repo, "show", "--service", "depot", "--env", "dev")
    assert code == 0
    assert output.splitlines() == ["tag=v1.4.0", f"digest={DEV_DIGEST}"]


def test_next_follows_the_promotion_order(repo: Path) -> None:
    assert CliRunner().invoke(app, ["next", "--from", "dev"]).output == "staging\n"
    assert CliRunner().invoke(app, ["next", "--from", "staging"]).output == "prod\n"
    result = CliRunner().invoke(app, ["next", "--from", "prod"])
    assert result.exit_code == 2 and "nothing follows it" in result.output


def test_promoting_the_real_environment_files_changes_two_lines_and_still_renders(
    tmp_path: Path,
) -> None:
    from tests.support.tools import ROOT, require_tool

    shutil.copytree(ROOT / "gitops", tmp_path / "gitops")
    staging = tmp_path / "gitops/environments/staging/depot.yaml"
    before = staging.read_text()
    dev_image = yaml.safe_load((tmp_path / "gitops/environments/dev/depot.yaml").read_text())
    dev_image["image"]["digest"] = "sha256:" + "e" * 64
    code, output = run(
        tmp_path, "bump", "--service", "depot", "--env", "dev",
        "--tag", "v9.9.9", "--digest", dev_image["image"]["digest"],
    )  # fmt: skip
    assert code == 0, output
    code, output = run(
        tmp_path, "promote", "--service", "depot", "--from", "dev", "--to", "staging"
    )
    assert code == 0, output
    after = staging.read_text()
    changed = changed_lines(before, after)
    assert len(changed) == 4 and all("tag:" in c or "digest:" in c for c in changed), changed
    helm = require_tool("helm", "scripts/setup/helm.sh")
    profile = yaml.safe_load(after)["profile"]
    values = [
        tmp_path / "gitops/services/depot.yaml",
        tmp_path / f"gitops/profiles/{profile}.yaml",
        staging,
    ]
    command = [helm, "template", "depot", str(ROOT / "charts/service"), "--namespace", "depot"]
    for path in values:
        command += ["--values", str(path)]
    rendered = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert rendered.returncode == 0, rendered.stderr
    assert f"@{dev_image['image']['digest']}" in rendered.stdout


@pytest.mark.parametrize(
    "before",
    ["profile: ha\nimage:\n  tag: v1.0.0", "profile: ha"],
    ids=["keys-inserted", "block-appended"],
)
def test_bump_edits_a_file_without_a_final_newline(repo: Path, before: str) -> None:
    # Not every editor ends a file with a newline: an inserted key or an appended image
    # block must still start on its own line (mutation testing found no case of this).
    path = repo / "gitops/environments/prod/depot.yaml"
    path.write_text(before)
    code, output = run(
        repo, "bump", "--service", "depot", "--env", "prod", "--tag", "v1.0.1", "--digest",
        DEV_DIGEST,
    )  # fmt: skip
    assert code == 0 and "updated" in output, output
    assert path.read_text() == f"profile: ha\nimage:\n  tag: v1.0.1\n  digest: {DEV_DIGEST}\n"


def test_bump_refuses_a_flow_style_image_it_would_have_to_reformat(repo: Path) -> None:
    path = repo / "gitops/environments/prod/depot.yaml"
    before = f"image: {{tag: v1.0.0, digest: {DEV_DIGEST}}}\n"
    path.write_text(before)
    code, output = run(
        repo, "bump", "--service", "depot", "--env", "prod", "--tag", "v1.0.1", "--digest",
        DEV_DIGEST,
    )  # fmt: skip
    assert code == 2 and "image must be a block mapping" in " ".join(output.split())
    assert path.read_text() == before
