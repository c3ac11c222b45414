"""Litestar for the framework comparison."""

from litestar import Litestar, get


@get("/")
async def hello() -> dict[str, str]:
    return {"message": "hello"}


app = Litestar(route_handlers=[hello])
