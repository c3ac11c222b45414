"""Tables, target verdicts, the capacity arithmetic and the plot of one bench run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.reliability.timings import _merge
from tests.support.tools import ROOT

# The concurrency whose CPU cost is used for sizing: enough to keep one worker busy,
# as a pod at its HPA target is.
SIZING_CONNECTIONS = 32


def _point(series: list[dict[str, Any]], connections: int) -> dict[str, Any]:
    return next(p for p in series if p["connections"] == connections)


def _cores(quantity: str | int | float) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def deployed_values(env: str) -> dict[str, Any]:
    """Chart defaults → services/depot → the environment's profile → the environment."""

    def load(path: str) -> dict[str, Any]:
        return dict(yaml.safe_load((ROOT / path).read_text()) or {})

    environment = load(f"gitops/environments/{env}/depot.yaml")
    merged = _merge(load("charts/service/values.yaml"), load("gitops/services/depot.yaml"))
    merged = _merge(merged, load(f"gitops/profiles/{environment['profile']}.yaml"))
    return _merge(merged, environment)


def capacity(results: dict[str, Any]) -> dict[str, Any]:
    """Requests/s one pod serves at the autoscaler's CPU target, per environment."""
    depot = results.get("depot", {})
    cost = {
        name: _point(series, SIZING_CONNECTIONS)["server_cpu_ms_per_request"]
        for name, series in depot.items()
    }
    out: dict[str, Any] = {"cpu_ms_per_request": cost, "environments": {}}
    for env in ("dev", "staging", "prod"):
        values = deployed_values(env)
        request = _cores(values["resources"]["requests"]["cpu"])
        scaling = values.get("autoscaling", {})
        enabled = bool(scaling.get("enabled"))
        # Without an autoscaler a pod may use its whole request before it is "full".
        target = scaling.get("cpuUtilization", 100) / 100 if enabled else 1.0
        budget = request * target  # CPU seconds per second one pod may use before scaling
        out["environments"][env] = {
            "profile": values["profile"],
            "cpu_request_cores": request,
            "hpa_enabled": enabled,
            "hpa_cpu_target": target,
            "hpa_rps_per_replica": scaling.get("requestsPerSecondPerReplica") if enabled else None,
            "min_replicas": scaling["minReplicas"] if enabled else values["replicaCount"],
            "max_replicas": scaling["maxReplicas"] if enabled else values["replicaCount"],
            "rps_per_pod_at_target": {
                name: round(budget * 1000 / ms, 1) for name, ms in cost.items() if ms > 0
            },
        }
    return out


def metadata_get_vs_floor(results: dict[str, Any]) -> float:
    """Service CPU of one metadata GET over the client CPU of one bare boto3 GetItem: the
    alternating measurement's ratio of medians when the run has it (bench/run.py)."""
    if "get_vs_floor" in results:
        return float(results["get_vs_floor"]["ratio_of_medians"])
    get = _point(results["depot"]["GET /v1/documents/{id}"], SIZING_CONNECTIONS)
    floor = results["boto3_getitem_floor"]["cpu_ms_per_call"]
    if get["errors"] or not floor:
        return 0.0  # failed answers are cheap: a ratio from them would flatter the service
    return round(get["server_cpu_ms_per_request"] / floor, 2)


def verdicts(results: dict[str, Any], targets: dict[str, float]) -> dict[str, Any]:
    ratio = results["livez_vs_hello"]["throughput_ratio"]
    ready = results["start_to_ready_seconds"]["median"]
    rss = results["rss_mib_after_load"]
    get_ratio = metadata_get_vs_floor(results)
    return {
        "metadata_get_cpu_vs_getitem_floor": {
            "value": get_ratio,
            "target": f"<= {targets['metadata_get_cpu_vs_getitem_floor']}",
            "met": 0 < get_ratio <= targets["metadata_get_cpu_vs_getitem_floor"],
        },
        "livez_vs_hello_ratio": {
            "value": round(ratio, 2),
            "target": f">= {targets['livez_vs_hello_ratio']}",
            "met": ratio >= targets["livez_vs_hello_ratio"],
        },
        "start_to_ready_seconds": {
            "value": ready,
            "target": f"< {targets['start_to_ready_seconds']}",
            "met": ready < targets["start_to_ready_seconds"],
        },
        "rss_mib": {
            "value": rss,
            "target": f"< {targets['rss_mib']}",
            "met": rss < targets["rss_mib"],
        },
    }


def tables(results: dict[str, Any]) -> str:
    lines = ["", "## Floors (hello-world, uvicorn + uvloop + httptools, 1 worker, 1 core)", ""]
    lines += [
        "| framework | req/s | p50 ms | p99 ms | CPU ms/req | RSS MiB |",
        "|---|---|---|---|---|---|",
    ]
    for name, p in results["floors"].items():
        lines.append(
            f"| {name} | {p['rps']} | {p['p50_ms']} | {p['p99_ms']} | "
            f"{p['server_cpu_ms_per_request']} | {p['rss_mib']} |"
        )
    lines += ["", "## depot (full middleware stack, INFO logs, 1 worker on 1 core)", ""]
    lines += [
        "| endpoint | conns | req/s | p50 ms | p99 ms | errors | CPU ms/req |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, series in results["depot"].items():
        for p in series:
            lines.append(
                f"| {name} | {p['connections']} | {p['rps']} | {p['p50_ms']} | {p['p99_ms']} "
                f"| {p['errors']} | {p['server_cpu_ms_per_request']} |"
            )
    boto = results["boto3_getitem_floor"]
    lines += [
        "",
        f"bare boto3 GetItem (client CPU, same settings): {boto['cpu_ms_per_call']:.3f} ms/call;"
        f" a metadata GET costs {metadata_get_vs_floor(results)}x that in service CPU "
        f"(at {SIZING_CONNECTIONS} connections; alternating: "
        f"{results.get('get_vs_floor', 'not measured')})",
        f"start to ready: median {results['start_to_ready_seconds']['median']} s, "
        f"max {results['start_to_ready_seconds']['max']} s",
        f"RSS per worker: idle {results['rss_mib_idle']} MiB, after load "
        f"{results['rss_mib_after_load']} MiB",
    ]
    lines += client_table(results.get("clients"), "emulator: a new connection per call")
    lines += client_table(results.get("clients_keepalive"), "through a keep-alive front")
    image = results["image"]
    lines.append(f"image: {image['mib']} MiB" if isinstance(image, dict) else f"image: {image}")
    ratio = results["livez_vs_hello"]
    lines += [
        "",
        f"/livez vs hello-world FastAPI, alternating, best of {ratio['rounds']}: throughput "
        f"ratio {ratio['throughput_ratio']} (hello {ratio['hello_rps']}, /livez "
        f"{ratio['livez_rps']}); CPU ratio {ratio['cpu_ratio']} "
        f"({ratio['hello_cpu_ms_per_request']} vs {ratio['livez_cpu_ms_per_request']} ms/req)",
    ]
    if "transfer" in results:
        from bench.transfer import table

        lines += table(results["transfer"])
    rollout = results.get("rollout")
    if rollout:
        lines += ["", "## Long zero-downtime rollout (3 replicas, chart timings)", ""]
        lines += [f"- {key}: {value}" for key, value in rollout.items()]
    lines += ["", "## Targets", "", "| target | value | wanted | met |", "|---|---|---|---|"]
    for name, v in results["targets"].items():
        lines.append(f"| {name} | {v['value']} | {v['target']} | {'yes' if v['met'] else 'NO'} |")
    lines += ["", "## Capacity (requests/s one pod serves at the HPA's CPU target)", ""]
    for env, c in results["capacity"]["environments"].items():
        lines.append(
            f"- {env} ({c['profile']}): {c['cpu_request_cores']} CPU x {c['hpa_cpu_target']} "
            f"-> {c['rps_per_pod_at_target']}"
        )
    return "\n".join(lines) + "\n"


def client_table(clients: dict[str, Any] | None, setting: str) -> list[str]:
    if not clients:
        return []
    if "skipped" in clients:
        return ["", f"DynamoDB client comparison skipped: {clients['skipped']}"]
    lines = ["", f"## DynamoDB clients: CPU ms per GetItem (same run, same core; {setting})", ""]
    lines += ["| client | concurrency | CPU ms/call | wall ms/call |", "|---|---|---|---|"]
    for name, by_concurrency in clients.items():
        for concurrency, p in by_concurrency.items():
            lines.append(
                f"| {name} | {concurrency} | {p['cpu_ms_per_call']} | {p['wall_ms_per_call']} |"
            )
    return lines


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, series in results["depot"].items():
        conns = [p["connections"] for p in series]
        left.plot(conns, [p["rps"] for p in series], marker="o", label=name)
        right.plot(conns, [p["p99_ms"] for p in series], marker="o", label=name)
    hello = results["floors"]["fastapi"]["rps"]
    left.axhline(hello, linestyle="--", color="grey", label="hello-world FastAPI (floor)")
    for axis, title, unit in ((left, "Throughput", "requests/s"), (right, "p99 latency", "ms")):
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        ticks = [p["connections"] for p in next(iter(results["depot"].values()))]
        axis.set_xticks(ticks, [str(t) for t in ticks])
        axis.set_xlabel("concurrent connections")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(alpha=0.3)
    left.legend(fontsize=8)
    figure.suptitle("depot, one uvicorn worker on one core (storage calls bounded by the emulator)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
