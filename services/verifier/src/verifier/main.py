"""`verifier` / `python -m verifier`: validate the configuration, then run the worker."""

from __future__ import annotations

from service_runtime.config import settings_or_exit
from service_runtime.logs import configure_logging
from service_runtime.server import serve

from verifier.app import create_app
from verifier.config import Settings


def main() -> None:
    settings = settings_or_exit(Settings, "verifier")
    configure_logging(settings.log_level)
    app = create_app(settings)
    serve(app, settings, app.state.health.lifecycle)
