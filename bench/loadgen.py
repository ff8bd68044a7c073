"""The load generator for the ingest benchmark, run as its own process (`python -m bench.loadgen ...`).

It builds every request before the clock starts: signed Front application
webhooks (`inbound_received`), each with its own event and message id, so none
is a duplicate. `--concurrency` threads each keep one HTTP/1.1 keep-alive
connection and send the pre-built bytes back to back. The first `--warmup`
requests are not measured; the rest stop at `--count` or `--max-seconds`,
whichever comes first. Prints one JSON line: throughput, latency percentiles,
status counts.
"""

from __future__ import annotations

import argparse
import itertools
import json
import socket
import sys
import threading
import time
from typing import Any

from bench.stats import percentile


def build_requests(args: argparse.Namespace, total: int) -> list[bytes]:
    from devkit.sandbox.front import app_webhook, app_webhook_headers, front_message

    built = []
    for n in range(total):
        event_id = f"{args.prefix}{n}"
        message = front_message(f"msg_{event_id}", "What are your opening hours?", sender="ada@example.com")
        body = json.dumps(app_webhook(event_id=event_id, inbox_id=args.inbox, conversation_id=f"cnv_{n % 50}", message=message)).encode()
        headers = app_webhook_headers(body, args.secret)
        head = [f"POST {args.path} HTTP/1.1", f"Host: 127.0.0.1:{args.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        built.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return built


class Connection:
    """One keep-alive connection that sends raw requests and reads `Content-Length` framed answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def exchange(self, raw: bytes) -> int:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(fields.get("content-length", "0"))
        while len(self.buffer) < length:
            self._read()
        self.buffer = self.buffer[length:]
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status

    def _read(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--inbox", required=True)
    parser.add_argument("--prefix", required=True, help="event id prefix, unique per phase")
    parser.add_argument("--count", type=int, default=3000, help="measured requests at most")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)

    requests = build_requests(args, args.warmup + args.count)
    ticket = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    clock: dict[str, float] = {}
    measuring = threading.Event()
    warm_done = threading.Barrier(args.concurrency)
    deadline: list[float] = [0.0]

    def worker() -> None:
        conn = Connection(args.port)
        try:
            while True:  # warm-up: not measured
                with lock:
                    n = next(ticket)
                if n >= args.warmup:
                    break
                conn.exchange(requests[n])
            if warm_done.wait() == 0:
                with lock:
                    clock["start"] = time.perf_counter()
                    deadline[0] = clock["start"] + args.max_seconds
                measuring.set()
            measuring.wait()
            while True:
                with lock:
                    n = next(ticket)
                if n >= len(requests) or time.perf_counter() > deadline[0]:
                    break
                began = time.perf_counter()
                status = conn.exchange(requests[n])
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
                    statuses[status] = statuses.get(status, 0) + 1
                    clock["end"] = time.perf_counter()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
            warm_done.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = clock.get("end", 0.0) - clock.get("start", 0.0)
    result: dict[str, Any] = {
        "path": args.path,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "measured": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors[:5],
        "latencies_ms": [round(x * 1000, 3) for x in latencies],
    }
    print(json.dumps(result))
    return 0 if latencies and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
