"""Probes, metrics and the locally served API docs."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from depot.models import Liveness, Readiness
from depot.routes_documents import get_runtime
from depot.runtime import Runtime

router = APIRouter(tags=["operations"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
_LIVE = b'{"status":"alive"}'
# Swagger UI 5 (OpenAPI 3.1 support), shipped inside a Python package: no CDN at run time.
DOCS_ASSETS = files("fastapi_offline") / "static"


@router.get("/livez", response_model=Liveness)
async def livez() -> Response:
    """The process is alive. Never looks at dependencies: restarting cannot fix them."""
    return Response(_LIVE, media_type="application/json")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready: started, configured, key set loaded, not draining. Dependencies are reported."""
    checks = {
        "started": True,
        "keys_loaded": runtime.keystore.loaded,
        "not_draining": not runtime.lifecycle.draining,
    }
    if runtime.lifecycle.draining:
        status = "draining"
    elif runtime.ready:
        status = "ready"
    else:
        status = "starting"
    body = Readiness(
        status=status,
        checks=checks,
        dependencies={
            **runtime.dependencies.status,
            "secretsmanager": runtime.keystore.status,
        },
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if runtime.ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(runtime: RuntimeDep) -> Response:
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


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
