"""Webhook ingest: signed Front webhooks per second under gunicorn, against the minimal correct hand-over.

One gunicorn (gthread, one worker per CPU, 4 threads each) on 127.0.0.1 serves
`bench.ingest_app`: the real `/api/front` and the baseline `/api/handover`, which
verifies the HMAC and POSTs the event to the same sink over a kept-alive
connection, and nothing else: the floor any webhook that answers honestly
(200 only once the event is handed over) must pay. The Inngest Event API is
`EventSink` (a fake that records events) and the database a migrated temp SQLite
file with the inbox's app registered, so every webhook takes the full path.
`bench.loadgen` runs in its own process and sends the same kind of signed body
to both endpoints; phases alternate (handover, front, handover, front...) and the
figures are pooled per endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.report import Row
from bench.stats import percentile
from bench.workspace import PYTHON, BenchError, Workspace, child_env, free_port, wait_http

SECRET = "bench-front-app-secret"
INBOX = "inb_bench"
THREADS = 4
TARGET = 0.8  # throughput of the webhook / the minimal hand-over
TAIL_TARGET = 3.0  # the webhook's p99 / its own p50


def _load(port: int, path: str, prefix: str, *, count: int, warmup: int, concurrency: int, max_seconds: float) -> dict[str, Any]:
    args = [
        PYTHON, "-m", "bench.loadgen", "--port", str(port), "--path", path, "--secret", SECRET, "--inbox", INBOX,
        "--prefix", prefix, "--count", str(count), "--warmup", str(warmup), "--concurrency", str(concurrency),
        "--max-seconds", str(max_seconds),
    ]
    proc = subprocess.run(args, env=child_env(), capture_output=True, text=True, timeout=max_seconds + 120)
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise BenchError(f"load generator printed nothing (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    result = json.loads(lines[-1])
    if proc.returncode != 0 or result["errors"] or set(result["statuses"]) != {"200"}:
        summary = {k: v for k, v in result.items() if k != "latencies_ms"}
        raise BenchError(f"load on {path} went wrong: {summary}\n{proc.stderr[-2000:]}")
    return result


def run(ws: Workspace, *, count: int = 4000, warmup: int = 200, concurrency: int = 8, max_seconds: float = 8.0,
        rounds: int = 2) -> tuple[list[Row], dict[str, Any]]:
    from lib.apps import registry
    from lib.db import reset_db
    from devkit.sandbox.inngest_events import EventSink

    database_url = ws.new_database("ingest")
    os.environ["DATABASE_URL"] = database_url
    reset_db()
    registry.clear_cache()
    registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX, integration_url="http://127.0.0.1:9/support")
    workers = os.cpu_count() or 2

    phases: dict[str, list[dict[str, Any]]] = {"/api/handover": [], "/api/front": []}
    with EventSink() as sink:
        port = free_port()
        env = child_env(DATABASE_URL=database_url, FRONT_APP_SECRET=SECRET, INNGEST_DEV=sink.url, INNGEST_BASE_URL=sink.url)
        server = ws.spawn("ingest-gunicorn", [
            PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(THREADS), "--log-level", "warning", "bench.ingest_app:app",
        ], env)
        try:
            wait_http(f"http://127.0.0.1:{port}/api/handover")
            for round_no in range(rounds):
                for path in phases:
                    prefix = f"evt_r{round_no}_{path.rsplit('/', 1)[-1]}_"
                    result = _load(port, path, prefix, count=count, warmup=warmup, concurrency=concurrency, max_seconds=max_seconds)
                    phases[path].append(result)
                    print(f"  ingest: {path} round {round_no + 1}/{rounds}: {result['rps']:.0f} req/s", file=sys.stderr, flush=True)
        finally:
            ws.stop(server)
        sent = sum(r["warmup"] + r["measured"] for results in phases.values() for r in results)
        if len(sink.events) < sum(r["measured"] for results in phases.values() for r in results):
            raise BenchError(f"the event sink got {len(sink.events)} events for about {sent} webhooks")
        events_received = len(sink.events)

    def pooled(path: str) -> dict[str, float]:
        results = phases[path]
        latencies = [x for r in results for x in r.pop("latencies_ms")]
        return {
            "rps": sum(r["measured"] for r in results) / sum(r["seconds"] for r in results),
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
        }

    front, base = pooled("/api/front"), pooled("/api/handover")
    rows = [
        Row("ingest", "webhook throughput vs minimal hand-over", front["rps"], base["rps"], "req/s",
            target=f">= {TARGET}x", passed=front["rps"] / base["rps"] >= TARGET),
        Row("ingest", "webhook p50 latency vs minimal hand-over", front["p50_ms"], base["p50_ms"], "ms"),
        Row("ingest", "webhook p99 latency vs minimal hand-over", front["p99_ms"], base["p99_ms"], "ms"),
        Row("ingest", "webhook p99 latency vs its own p50", front["p99_ms"], front["p50_ms"], "ms",
            target=f"<= {TAIL_TARGET:g}x", passed=front["p99_ms"] / front["p50_ms"] <= TAIL_TARGET),
    ]
    details = {
        "server": f"gunicorn gthread, {workers} workers x {THREADS} threads, 127.0.0.1",
        "load": {"concurrency": concurrency, "warmup": warmup, "count": count, "max_seconds": max_seconds, "rounds": rounds},
        "events_received_by_sink": events_received,
        "pooled": {"front": front, "handover": base},
        "phases": phases,
    }
    return rows, details
