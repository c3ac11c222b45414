"""Probes and metrics (the platform's, service_runtime.health) and the locally served API
docs."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from service_runtime.health import Health, probe_router

from depot.routes_documents import get_runtime

# Swagger UI 5 (OpenAPI 3.1 support), shipped inside a Python package: no CDN at run time.
DOCS_ASSETS = files("fastapi_offline") / "static"


def get_health(request: Request) -> Health:
    return get_runtime(request).health


# No tags of its own: the probe routes carry "operations" already, and the docs routes
# are not in the schema.
router = APIRouter()
# /livez, /readyz (ready once the key set is loaded; dependencies reported) and /metrics.
router.include_router(probe_router(get_health))


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="depot API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon.png",
    )
