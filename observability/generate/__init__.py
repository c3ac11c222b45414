"""Generators for the observability layer: one source, several rendered forms.

- rules: observability/rules/*.yaml -> plain Prometheus rule files (tests, local runs)
  and the chart's PrometheusRule template (Helm expressions in place of placeholders).
- dashboards: the panels' PromQL (dashboards/panels.py) -> Grafana JSON and ConfigMaps.
- alertmanager: observability/alertmanager/alertmanager.yaml -> the deployed Secret.

`python -m observability.generate` writes every generated file; `--check` fails when
one is stale.
"""
