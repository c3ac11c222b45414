"""N replicas of depot behind one nginx: the smallest picture of a Deployment + ALB."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.balancer import Nginx
from tests.reliability.procs import Replica


@dataclass
class Deployment:
    replicas: list[Replica]
    lb: Nginx
    stopped: bool = field(default=False)

    @classmethod
    def start(
        cls, workdir: Path, nginx_binary: str, env: dict[str, str], replicas: int
    ) -> Deployment:
        started: list[Replica] = []
        try:
            for index in range(replicas):
                started.append(Replica(f"replica-{index}", env, workdir).start())
            lb = Nginx(workdir / "nginx", nginx_binary).start([r.port for r in started])
        except BaseException:
            for replica in started:
                replica.stop()
            raise
        return cls(started, lb)

    @property
    def url(self) -> str:
        return self.lb.url

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.lb.stop()
        for replica in self.replicas:
            replica.stop()
