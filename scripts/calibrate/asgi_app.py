"""Minimal ASGI apps that calibrate.sh serves with uvicorn.

app:           raw ASGI
    /           a small JSON response
    /yield?k=K  the same after K loop turns (await asyncio.sleep(0): one task
                step scheduled with call_soon)
    /io?k=K     the same after K round trips of 8 bytes to the echo server at
                $CALIBRATE_UPSTREAM_PORT over a kept-open asyncio stream (a
                stand-in for a database query: write, await readexactly)
starlette_app: Starlette, a route returning JSONResponse
fastapi_app:   FastAPI, `async def` returning a dict (at /) and plain `def`
               (at /sync: runs in the anyio thread pool)
"""
import asyncio
import json
import os

UPSTREAM_PORT = int(os.environ.get("CALIBRATE_UPSTREAM_PORT", "0"))
PING = b"ping...\n"
_idle = []  # open upstream streams not in use


def _k(scope):
    q = scope.get("query_string", b"")
    return int(q[2:]) if q.startswith(b"k=") else 0


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/yield":
        for _ in range(_k(scope)):
            await asyncio.sleep(0)
    elif path == "/io":
        reader, writer = (
            _idle.pop()
            if _idle
            else await asyncio.open_connection("127.0.0.1", UPSTREAM_PORT)
        )
        for _ in range(_k(scope)):
            writer.write(PING)
            await reader.readexactly(len(PING))
        _idle.append((reader, writer))
    body = json.dumps({"hello": "world"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


try:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def _hello(request):
        return JSONResponse({"hello": "world"})

    starlette_app = Starlette(routes=[Route("/", _hello)])
except ImportError:
    starlette_app = None

try:
    from fastapi import FastAPI

    fastapi_app = FastAPI()

    @fastapi_app.get("/")
    async def hello_async():
        return {"hello": "world"}

    @fastapi_app.get("/sync")
    def hello_sync():
        return {"hello": "world"}

except ImportError:
    fastapi_app = None
