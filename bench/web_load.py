"""The load generator of bench/web.py, run as its own process (on its own CPU when it can).

``python -m bench.web_load URL[,URL...] --clients 50 --seconds 8 [--cookie HEADER]`` keeps
``clients`` keep-alive connections busy, each cycling through the URLs, for a fixed duration
after a short warm-up, and prints one JSON object: completed requests, failures, pages per
second and latency percentiles in milliseconds.

The requests are written by hand on asyncio streams (uvloop) because the generator must be
faster than the fastest server it measures: httpx.AsyncClient tops out near 1,000 requests
a second on one core, while the bare Starlette page answers about twenty times that, so with
httpx the baseline would measure the client. Only what the two servers send is understood:
HTTP/1.1 with Content-Length or chunked bodies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import uvloop

WARMUP_SECONDS = 1.0


class Failed(Exception):
    pass


async def _body(reader: asyncio.StreamReader, head: bytes) -> None:
    fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
    fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
    if b"content-length" in fields:
        await reader.readexactly(int(fields[b"content-length"]))
    elif fields.get(b"transfer-encoding", b"").lower() == b"chunked":
        while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    if fields.get(b"connection", b"").lower() == b"close":
        raise Failed("connection closed by the server")


async def _client(urls: list[str], cookie: str, offset: int, until: float, measure_from: float,
                  latencies: list[float], failures: list[str]) -> None:
    parts = urlsplit(urls[0])
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    requests = [(f"GET {urlsplit(u).path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                 f"User-Agent: odr-bench\r\nAccept: text/html\r\n{extra}\r\n").encode()
                for u in urls]
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while (start := time.perf_counter()) < until:
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            await _body(reader, head)
            if start < measure_from:
                continue
            if status == b"200":
                latencies.append(time.perf_counter() - start)
            else:
                failures.append(status.decode())
    except (OSError, asyncio.IncompleteReadError, Failed, ValueError) as exc:
        failures.append(type(exc).__name__)
    finally:
        writer.close()


async def run(urls: list[str], clients: int, seconds: float, cookie: str) -> dict[str, Any]:
    latencies: list[float] = []
    failures: list[str] = []
    measure_from = time.perf_counter() + WARMUP_SECONDS
    until = measure_from + seconds
    await asyncio.gather(*(_client(urls, cookie, n, until, measure_from, latencies, failures)
                           for n in range(clients)))
    elapsed = time.perf_counter() - measure_from
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {"requests": len(latencies), "failures": len(failures),
            "failure_kinds": sorted(set(failures))[:5], "seconds": elapsed,
            "per_second": len(latencies) / elapsed,
            "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--cookie", default="")
    args = parser.parse_args(argv)
    result = uvloop.run(run(args.urls.split(","), args.clients, args.seconds, args.cookie))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
