"""Raw Starlette (FastAPI's base) for the framework comparison."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(_: Request) -> JSONResponse:
    return JSONResponse({"message": "hello"})


app = Starlette(routes=[Route("/", hello)])
