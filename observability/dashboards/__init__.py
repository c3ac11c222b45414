"""Grafana dashboards: panels.py is the one place their PromQL lives."""
