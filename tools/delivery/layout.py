"""Where the GitOps desired state lives, and the order environments are promoted in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# A release enters at the first environment and moves one step at a time: skipping
# staging would ship a digest that no environment has run.
PROMOTION_ORDER: tuple[str, ...] = ("dev", "staging", "prod")


class LayoutError(ValueError):
    """An unknown service or environment; the message lists the known ones."""


@dataclass(frozen=True)
class GitOpsLayout:
    root: Path = REPO_ROOT

    @property
    def gitops(self) -> Path:
        return self.root / "gitops"

    def services(self) -> list[str]:
        return sorted(p.stem for p in (self.gitops / "services").glob("*.yaml"))

    def environments(self) -> list[str]:
        folder = self.gitops / "environments"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def environment_file(self, service: str, environment: str) -> Path:
        """The values file of one service in one environment, after checking both exist."""
        if service not in self.services():
            raise LayoutError(
                f"--service {service!r} is unknown; known services: {_listing(self.services())} "
                "(a service is a file gitops/services/<name>.yaml)"
            )
        if environment not in self.environments():
            raise LayoutError(
                f"environment {environment!r} is unknown; known environments: "
                f"{_listing(self.environments())} (a folder gitops/environments/<name>/)"
            )
        path = self.gitops / "environments" / environment / f"{service}.yaml"
        if not path.is_file():
            raise LayoutError(
                f"{path.relative_to(self.root)} does not exist; create it to deploy "
                f"{service} to {environment}"
            )
        return path


def next_environment(source: str) -> str:
    if source not in PROMOTION_ORDER:
        raise LayoutError(
            f"--from {source!r} is not in the promotion order {' -> '.join(PROMOTION_ORDER)}"
        )
    index = PROMOTION_ORDER.index(source)
    if index == len(PROMOTION_ORDER) - 1:
        raise LayoutError(f"--from {source!r} is the last environment; nothing follows it")
    return PROMOTION_ORDER[index + 1]


def check_promotion_step(source: str, target: str) -> None:
    expected = next_environment(source)
    if target != expected:
        raise LayoutError(
            f"--to {target!r} does not follow {source!r}; promotions go one step at a time "
            f"({' -> '.join(PROMOTION_ORDER)}), so use --to {expected}"
        )


def _listing(names: list[str]) -> str:
    return ", ".join(names) if names else "(none)"
