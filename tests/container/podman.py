"""podman, driven the way the tests need it: bounded in time, with the project's own
configuration (scripts/setup/podman.sh writes it under .cache/containers)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.tools import ROOT

CONFIG_DIR = ROOT / ".cache" / "containers"
IMAGES_ENV = ROOT / ".cache" / "container" / "images.env"


def podman_env() -> dict[str, str]:
    """The environment podman runs in: the project's config unless the caller set one."""
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", str(CONFIG_DIR / "containers.conf"))
    env.setdefault("CONTAINERS_STORAGE_CONF", str(CONFIG_DIR / "storage.conf"))
    return env


@dataclass(frozen=True)
class Podman:
    binary: str

    def __call__(
        self, *args: str, timeout: float = 60.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args],
            env=podman_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"podman {' '.join(args[:3])} ... exited {result.returncode}:\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def image_exists(self, ref: str) -> bool:
        return self("image", "exists", ref, check=False).returncode == 0

    def inspect_image(self, ref: str) -> dict[str, Any]:
        parsed = json.loads(self("image", "inspect", ref).stdout)
        return dict(parsed[0])

    def inspect_container(self, name: str) -> dict[str, Any]:
        parsed = json.loads(self("container", "inspect", name).stdout)
        return dict(parsed[0])

    def logs(self, name: str) -> str:
        result = self("logs", name, check=False)
        return (result.stdout + result.stderr)[-6000:]

    def remove(self, name: str) -> None:
        self("rm", "--force", "--time", "0", name, check=False)


def read_images_env(path: Path = IMAGES_ENV) -> dict[str, str]:
    """BASE_IMAGE and UV_IMAGE as scripts/setup/base-image.sh recorded them."""
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}
