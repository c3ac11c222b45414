"""`python -m tools.delivery`: bump, promote and release checks, for people and workflows.

Every command edits or reads files only; opening the pull request is the caller's job
(the workflows, or a person with git), so the same command works in both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tools.delivery.envfile import EnvFileError, read_image, write_image
from tools.delivery.images import ImageRef, ImageRefError
from tools.delivery.layout import (
    REPO_ROOT,
    GitOpsLayout,
    LayoutError,
    check_promotion_step,
    next_environment,
)
from tools.delivery.versions import (
    VersionError,
    check_release_tag,
    release_tag,
    services_released_by,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Bump, promote and check releases in the GitOps environment files.",
)

ServiceOption = Annotated[str, typer.Option("--service", help="service name, e.g. depot")]
RootOption = Annotated[
    Path, typer.Option("--root", help="repository root", file_okay=False, exists=True)
]
EXPECTED_ERRORS = (EnvFileError, ImageRefError, LayoutError, VersionError)


def _fail(error: Exception) -> typer.Exit:
    typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def _summary(action: str, path: Path, root: Path, ref: ImageRef, changed: bool) -> None:
    state = "updated" if changed else "already at"
    typer.echo(f"{action}: {path.relative_to(root)} {state} {ref.tag}@{ref.digest}")


@app.command()
def bump(
    service: ServiceOption,
    env: Annotated[str, typer.Option("--env", help="environment to update, e.g. dev")],
    tag: Annotated[str, typer.Option("--tag", help="release tag vX.Y.Z")],
    digest: Annotated[str, typer.Option("--digest", help="image digest sha256:<64 hex>")],
    root: RootOption = REPO_ROOT,
) -> None:
    """Set an environment's image tag and digest (used by the release workflow)."""
    try:
        ref = ImageRef(tag=tag, digest=digest)
        path = GitOpsLayout(root).environment_file(service, env)
        changed = write_image(path, ref)
    except EXPECTED_ERRORS as error:
        raise _fail(error) from error
    _summary("bump", path, root, ref, changed)


@app.command()
def promote(
    service: ServiceOption,
    source: Annotated[str, typer.Option("--from", help="environment to copy from")],
    target: Annotated[str, typer.Option("--to", help="the next environment")],
    root: RootOption = REPO_ROOT,
) -> None:
    """Copy the exact tag and digest one environment runs to the next one."""
    try:
        check_promotion_step(source, target)
        layout = GitOpsLayout(root)
        ref = read_image(layout.environment_file(service, source))
        path = layout.environment_file(service, target)
        changed = write_image(path, ref)
    except EXPECTED_ERRORS as error:
        raise _fail(error) from error
    _summary("promote", path, root, ref, changed)


@app.command("next")
def next_command(
    source: Annotated[str, typer.Option("--from", help="environment a release is in")],
) -> None:
    """Print the environment a release goes to after --from."""
    try:
        typer.echo(next_environment(source))
    except LayoutError as error:
        raise _fail(error) from error


@app.command()
def show(
    service: ServiceOption,
    env: Annotated[str, typer.Option("--env", help="environment to read")],
    root: RootOption = REPO_ROOT,
) -> None:
    """Print `tag=` and `digest=` lines (the format of $GITHUB_OUTPUT)."""
    try:
        ref = read_image(GitOpsLayout(root).environment_file(service, env))
    except EXPECTED_ERRORS as error:
        raise _fail(error) from error
    typer.echo(f"tag={ref.tag}\ndigest={ref.digest}")


@app.command("release-tag")
def release_tag_command(service: ServiceOption, root: RootOption = REPO_ROOT) -> None:
    """Print the tag a release of the service must carry (v + pyproject version)."""
    try:
        typer.echo(release_tag(root, service))
    except VersionError as error:
        raise _fail(error) from error


@app.command("check-release")
def check_release(
    service: ServiceOption,
    tag: Annotated[str, typer.Option("--tag", help="the pushed git tag, e.g. v1.2.3")],
    root: RootOption = REPO_ROOT,
) -> None:
    """Fail unless the git tag is exactly v + the service's pyproject version."""
    try:
        check_release_tag(root, service, tag)
    except (VersionError, ImageRefError) as error:
        raise _fail(error) from error
    typer.echo(f"release {tag} matches services/{service}/pyproject.toml")


@app.command("release-services")
def release_services(
    tag: Annotated[str, typer.Option("--tag", help="the pushed git tag, e.g. v1.2.3")],
    root: RootOption = REPO_ROOT,
) -> None:
    """Print, as a JSON list, every service whose version the tag is (check-release holds
    for each): the release workflow's matrix. None is an error."""
    try:
        services = services_released_by(root, tag)
    except (VersionError, ImageRefError) as error:
        raise _fail(error) from error
    typer.echo(json.dumps(services, separators=(",", ":")))
