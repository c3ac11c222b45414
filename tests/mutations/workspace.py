"""Throwaway copies of the repository in which one mutation at a time is applied.

A copy holds the working tree's files (tracked and untracked, not ignored: what the
next commit would hold), so uncommitted mutations and tests are tried too, and is a git
repository whose index lists exactly those files. The
installed environments (virtualenvs, tool caches, Node validators) are linked, not
copied: they are large and the mutations never touch them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.mutations.catalogue import Mutation, staleness

# Ignored paths the tests need, linked into every copy when they exist in the source.
LINKED = (".venv", ".cache", "tests/validators/node_modules")


def _listed_files(source: Path) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name]


def _index(dest: Path, files: list[str]) -> None:
    """Make the copy a git repository whose index and one commit hold its files: tests
    that ask git which files the repository holds (Renovate's, `make configure`'s) then
    see the copy."""
    git = ["git", "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=dest, check=True)
    subprocess.run(
        [*git, "add", "--force", "--pathspec-from-file=-", "--pathspec-file-nul"],
        cwd=dest, input="\0".join(files).encode(), check=True,
    )  # fmt: skip
    # A commit too, for tests that clone the repository (the fresh-machine rehearsal
    # clones HEAD): they see the unmutated state, the mutation being uncommitted.
    subprocess.run(
        [*git, "-c", "user.name=mutations", "-c", "user.email=mutations@localhost",
         "commit", "--quiet", "--no-verify", "--no-gpg-sign", "--message=copy"],
        cwd=dest, check=True,
    )  # fmt: skip


def make_copy(source: Path, dest: Path) -> Path:
    """Copy the working tree of `source` to `dest` and link its environments."""
    files = _listed_files(source)
    for name in files:
        origin = source / name
        if not origin.is_file():  # deleted in the working tree but still in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target, follow_symlinks=False)
    _index(dest, [name for name in files if (dest / name).exists() or (dest / name).is_symlink()])
    per_service = [
        *source.glob("libs/*/.venv"),
        *source.glob("services/*/.venv"),
        *source.glob("services/*/*/node_modules"),
    ]
    linked = [*LINKED, *(str(p.relative_to(source)) for p in per_service)]
    for name in linked:
        origin = source / name
        if origin.exists() and not (dest / name).exists():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).symlink_to(origin)
    return dest


class StaleMutationError(RuntimeError):
    """The mutation's text is gone or ambiguous: it would test nothing, so it fails."""


@contextmanager
def applied(mutation: Mutation, copy: Path) -> Iterator[None]:
    """Apply `mutation` inside `copy` and restore the file afterwards, whatever happens."""
    problem = staleness(mutation, copy)
    if problem:
        raise StaleMutationError(f"{mutation.id}: {problem}")
    target = copy / mutation.file
    original = target.read_text()
    target.write_text(original.replace(mutation.find, mutation.replace, 1))
    try:
        yield
    finally:
        target.write_text(original)
