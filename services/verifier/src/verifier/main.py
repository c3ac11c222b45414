"""`verifier` / `python -m verifier`: validate the configuration, then run the worker."""

from __future__ import annotations

import sys

from service_runtime.config import ConfigurationError
from service_runtime.logs import configure_logging
from service_runtime.server import serve

from verifier.app import create_app
from verifier.config import load_settings


def main() -> None:
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"verifier: {exc}", file=sys.stderr)
        sys.exit(2)
    configure_logging(settings.log_level)
    app = create_app(settings)
    serve(app, settings, app.state.health.lifecycle)
