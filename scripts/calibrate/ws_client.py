"""ws_client.py PORT N - opens N WebSocket connections to 127.0.0.1:PORT
(the RFC 6455 opening handshake written by hand over asyncio streams, 200 at
a time), prints `open N` once every one got its 101, then keeps them idle
until stdin closes. Standard library only."""
import asyncio
import base64
import os
import sys


async def one(port, conns):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    w.write((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await r.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(head[:80])
    conns.append((r, w))


async def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    conns = []
    for i in range(0, n, 200):
        await asyncio.gather(*(one(port, conns) for _ in range(min(200, n - i))))
    print(f"open {len(conns)}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until stdin closes


asyncio.run(main())
