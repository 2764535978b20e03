"""A tiny HTTP/1.1 keep-alive server with a known injected latency, for testing the load tester.

    python latency_server.py PORTFILE [--port 0] [--delay-ms 10] [--slow-every N --slow-ms M]
                             [--serial] [--fail-every N]

Request i (counted from 0) waits `slow_ms` when `(i + 1) % slow_every == 0`, else `delay_ms`.
`--serial` serves one request at a time (a hard capacity of 1000 / delay_ms req/s).
`--fail-every N` answers 503 to every N-th request. It writes its port to PORTFILE when ready.
`GET /count` answers how many requests (other than probes and counts) it has had so far.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from pathlib import Path

_BODY = b'{"predictions": [[0.1, 0.9]]}'


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("portfile", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--slow-every", type=int, default=0)
    parser.add_argument("--slow-ms", type=float, default=0.0)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--serial", action="store_true")
    args = parser.parse_args()
    counter = itertools.count()
    seen = 0
    lock = asyncio.Lock()

    async def respond(writer: asyncio.StreamWriter, path: bytes) -> None:
        nonlocal seen
        body = _BODY
        if path in (b"/readyz", b"/livez"):
            status, delay = b"200 OK", 0.0
        elif path == b"/count":
            status, delay, body = b"200 OK", 0.0, str(seen).encode()
        else:
            number = next(counter)
            seen = number + 1
            slow = args.slow_every and (number + 1) % args.slow_every == 0
            delay = (args.slow_ms if slow else args.delay_ms) / 1000
            failed = args.fail_every and (number + 1) % args.fail_every == 0
            status = b"503 Service Unavailable" if failed else b"200 OK"
        if args.serial and delay:
            async with lock:
                await asyncio.sleep(delay)
        elif delay:
            await asyncio.sleep(delay)
        writer.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        await writer.drain()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1] if b" " in lines[0] else b"/"
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                await respond(writer, path)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", args.port, backlog=1024)
        port = server.sockets[0].getsockname()[1]
        tmp = args.portfile.with_suffix(".tmp")
        tmp.write_text(str(port))
        tmp.replace(args.portfile)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
