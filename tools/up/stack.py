"""Start and stop the local platform: every process on 127.0.0.1 on a free port, each
with its log in the work folder, all stopped whatever happened."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.observability import processes
from tests.observability.processes import Process
from tests.observability.receiver import Receiver
from tests.observability.traffic import Traffic
from tests.reliability.faultproxy import FaultProxy
from tests.reliability.procs import provision
from tests.support.moto import MotoServer, start_moto
from tests.support.tools import free_port
from tools.up import configs
from tools.up.faults import FaultSwitch
from tools.up.pages import PagePrinter

TENANT = "local"
SETUP_HINT = "run `make setup` (scripts/setup/prometheus.sh installs it)"


class MissingToolError(RuntimeError):
    """A binary the stack needs is not installed; the message says how to get it."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise MissingToolError(f"{name} not found on PATH; {SETUP_HINT}")
    return found


@dataclass
class Stack:
    workdir: Path
    divisor: int
    moto: MotoServer | None = None
    proxy: FaultProxy | None = None
    switch: FaultSwitch | None = None
    depot: Process | None = None
    receiver: Receiver | None = None
    printer: PagePrinter | None = None
    alertmanager: Process | None = None
    prometheus: Process | None = None
    traffic: Traffic | None = None
    api_key: str = ""
    urls: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop everything that started, newest first; one failing stop never keeps
        the others running."""
        stoppers: list[Callable[[], None] | None] = [
            self.traffic.stop if self.traffic else None,
            self.prometheus.stop if self.prometheus else None,
            self.alertmanager.stop if self.alertmanager else None,
            self.printer.stop if self.printer else None,
            self.receiver.stop if self.receiver else None,
            self.depot.stop if self.depot else None,
            self.switch.stop if self.switch else None,
            self.proxy.stop if self.proxy else None,
            self.moto.stop if self.moto else None,
        ]
        errors: list[BaseException] = []
        for stopper in stoppers:
            if stopper is None:
                continue
            try:
                stopper()
            except Exception as error:  # collected, the first re-raised below
                errors.append(error)
        if errors:
            raise errors[0]


def start(workdir: Path, divisor: int, traffic_seconds: float, out: Callable[[str], None]) -> Stack:
    """The emulator, depot behind the fault proxy, the receiver, Alertmanager,
    Prometheus and the traffic generator, in the order each needs the previous."""
    prometheus_bin = _binary("prometheus")
    alertmanager_bin = _binary("prometheus-alertmanager")
    stack = Stack(workdir=workdir, divisor=divisor)
    try:
        stack.moto = start_moto(workdir)
        resources = provision(stack.moto.url, [TENANT])
        stack.api_key = resources.keys[TENANT]
        # depot reaches AWS through the proxy: the fault switch acts there.
        stack.proxy = FaultProxy(stack.moto.url).start()
        stack.switch = FaultSwitch(stack.proxy, free_port()).start()
        depot_port = free_port()
        stack.depot = processes.depot_instance(
            depot_port, resources.env(endpoint=stack.proxy.url), workdir
        )
        depot = f"http://127.0.0.1:{depot_port}"

        stack.receiver = Receiver(free_port()).start()
        stack.printer = PagePrinter(stack.receiver, out).start()
        am_port, prom_port = free_port(), free_port()
        for folder in ("alertmanager", "prometheus"):
            (workdir / folder).mkdir(exist_ok=True)
        stack.alertmanager = processes.alertmanager(
            configs.alertmanager_config(workdir, stack.receiver.url),
            am_port,
            workdir / "alertmanager" / "data",
            alertmanager_bin,
        )
        rules_dir = workdir / "prometheus" / "rules"
        rules_dir.mkdir()
        prom_config = configs.prometheus_config(
            workdir,
            [f"127.0.0.1:{depot_port}"],
            f"127.0.0.1:{prom_port}",
            f"127.0.0.1:{am_port}",
            rules_dir,
        )
        stack.prometheus = processes.prometheus(
            prom_config, prom_port, workdir / "prometheus" / "data", prometheus_bin
        )
        service_rules = configs.service_rules(divisor)
        processes.load_rules_once_scraped(
            stack.prometheus,
            f"http://127.0.0.1:{prom_port}",
            rules_dir,
            {"service.rules.yaml": service_rules},
            processes.absent_watches(service_rules),
        )
        stack.traffic = Traffic([depot], stack.api_key, max_seconds=traffic_seconds).start()
        stack.urls = {
            "depot": depot,
            "api_docs": f"{depot}/docs",
            "prometheus": f"http://127.0.0.1:{prom_port}",
            # Debian's Prometheus ships the server-rendered (classic) UI only.
            "prometheus_alerts": f"http://127.0.0.1:{prom_port}/classic/alerts",
            "alertmanager": f"http://127.0.0.1:{am_port}",
            "receiver": stack.receiver.url,
            "fault_switch": stack.switch.url,
            "emulator": stack.moto.url,
        }
        return stack
    except BaseException:
        stack.stop()
        raise
