"""Operator and CI tooling for the platform, run from the root environment."""
