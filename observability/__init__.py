"""The observability layer: rule sources, dashboards, generators (see README.md)."""
