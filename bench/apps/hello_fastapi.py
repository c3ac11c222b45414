"""The floor for depot: the same framework and server, one JSON route, nothing else."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"message": "hello"}
