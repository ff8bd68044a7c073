"""Pipeline: webhook in to draft created in the fake Front, through the offline executor.

Conversations run one after another (each waits for the previous run to end),
so every figure is one conversation's latency, not a queue's. Per conversation:

- total: from sending the webhook to the fake Front finishing `POST .../drafts`
- critical-path delays: the fakes' fixed delays the run must wait for in sequence:
  the gather-context step's slowest source (its sources run in parallel), every
  OpenAI request, and the Front calls of create-draft
- gather-context: the serve call that ran the step (from the serve process's
  record), against its slowest source, measured at the fakes as first request
  start to last answer end of that source (Front messages; product app lookups)
- executor overhead per step: (run's wall time in the executor, created to ended,
  minus the time spent inside the serve function's handler) / number of calls
  to the serve function; i.e. everything that is not the function working:
  queueing, the executor's database writes, HTTP to and from the function
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any

from bench.report import Row
from bench.scene import Delays, Scene
from bench.stats import mean, percentile
from bench.workspace import BenchError, Workspace

DELAYS = Delays(front=0.10, product=0.04, openai=0.25)
GATHER_TARGET = 1.2
PIPELINE_TARGET = 1.10  # webhook -> draft p95 / the critical path's own delays


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.rstrip("Z")).replace(tzinfo=timezone.utc).timestamp()


def _within(calls: list[dict[str, Any]], start: float, end: float, service: str) -> list[dict[str, Any]]:
    return [c for c in calls if c["service"] == service and start <= c["start"] <= end]


def _span(calls: list[dict[str, Any]]) -> float:
    return max(c["end"] for c in calls) - min(c["start"] for c in calls) if calls else 0.0


def analyse(conversation_id: str, sent_at: float, openai_calls: int, run: dict[str, Any],
            serve_calls: list[dict[str, Any]], fake_calls: list[dict[str, Any]]) -> dict[str, Any]:
    mine = sorted((c for c in serve_calls if c.get("run_id") == run["id"]), key=lambda c: c["start"])
    gather = next((c for c in mine if any(op["name"] == "gather-context" for op in c["ops"])), None)
    draft = next((c for c in fake_calls if c["service"] == "front" and c["method"] == "POST"
                  and c["path"] == f"/conversations/{conversation_id}/drafts"), None)
    if gather is None or draft is None:
        raise BenchError(f"{conversation_id}: no gather-context call or no draft in the record (run {run['id']})")

    sources = {s: _within(fake_calls, gather["start"], gather["end"], s) for s in ("front", "product")}
    spans = {s: _span(calls) for s, calls in sources.items()}
    delay_of = {"front": DELAYS.front, "product": DELAYS.product}
    gather_delay = max(len(calls) * delay_of[s] for s, calls in sources.items())
    later = [c for c in fake_calls if gather["end"] < c["start"] <= draft["end"] and c["service"] in delay_of]
    critical = gather_delay + sum(delay_of[c["service"]] for c in later) + openai_calls * DELAYS.openai

    wall = _epoch(run["ended_at"]) - _epoch(run["created_at"])
    inside = sum(c["end"] - c["start"] for c in mine)
    return {
        "conversation": conversation_id,
        "run": run["id"],
        "total_s": draft["end"] - sent_at,
        "critical_delays_s": critical,
        "gather_s": gather["end"] - gather["start"],
        "gather_sources_s": spans,
        "slowest_source_s": max(spans.values()),
        "serial_sources_s": sum(spans.values()),
        "openai_calls": openai_calls,
        "serve_calls": len(mine),
        "run_wall_s": wall,
        "inside_serve_s": inside,
        "overhead_per_step_s": (wall - inside) / len(mine),
    }


def run(ws: Workspace, *, conversations: int = 50, warmup: int = 2) -> tuple[list[Row], dict[str, Any]]:
    sent: dict[str, float] = {}
    openai_calls: dict[str, int] = {}
    with Scene(ws, "pipeline", DELAYS, record_serve=True) as scene:
        for n in range(warmup + conversations):
            conversation_id = f"cnv_{n}"
            before = len(scene.openai.requests)
            sent[conversation_id] = scene.customer_writes(conversation_id, f"evt_{n}")
            scene.wait_for_drafts(n + 1)
            scene.wait_until_idle()
            openai_calls[conversation_id] = len(scene.openai.requests) - before
            if (n + 1) % 10 == 0:
                print(f"  pipeline: {n + 1}/{warmup + conversations} conversations", file=sys.stderr, flush=True)
        runs = {r["event"]["data"]["conversationId"]: r for r in scene.runs()}
        serve_calls = scene.serve_calls()
        fake_calls = scene.recorder.snapshot()

    measured = [f"cnv_{n}" for n in range(warmup, warmup + conversations)]
    for conversation_id in measured:
        if runs.get(conversation_id, {}).get("status") != "Completed":
            raise BenchError(f"{conversation_id}: run did not complete: {runs.get(conversation_id)}")
    per = [analyse(c, sent[c], openai_calls[c], runs[c], serve_calls, fake_calls) for c in measured]

    def pct(key: str, p: float) -> float:
        return percentile([x[key] for x in per], p) * 1000

    overhead_ms = (sum(x["run_wall_s"] - x["inside_serve_s"] for x in per) / sum(x["serve_calls"] for x in per)) * 1000
    rows = [
        Row("pipeline", "webhook -> draft p50 vs critical-path delays", pct("total_s", 50), pct("critical_delays_s", 50), "ms"),
        Row("pipeline", "webhook -> draft p95 vs critical-path delays", pct("total_s", 95), pct("critical_delays_s", 50), "ms",
            target=f"<= {PIPELINE_TARGET}x", passed=pct("total_s", 95) / pct("critical_delays_s", 50) <= PIPELINE_TARGET),
        Row("pipeline", "gather-context p50 vs its slowest source", pct("gather_s", 50), pct("slowest_source_s", 50), "ms",
            target=f"<= {GATHER_TARGET}x", passed=pct("gather_s", 50) / pct("slowest_source_s", 50) <= GATHER_TARGET),
        Row("pipeline", "gather-context p95 vs its slowest source", pct("gather_s", 95), pct("slowest_source_s", 50), "ms"),
        # Information only: the offline executor runs only locally (Inngest Cloud runs production).
        Row("pipeline", "executor overhead per step (mean)", overhead_ms, None, "ms"),
    ]
    details = {
        "delays_s": {"front": DELAYS.front, "product": DELAYS.product, "openai": DELAYS.openai},
        "conversations": conversations,
        "warmup": warmup,
        "question": "What are your opening hours?",
        "summary_ms": {
            "total_p50": pct("total_s", 50),
            "total_p95": pct("total_s", 95),
            "critical_delays_p50": pct("critical_delays_s", 50),
            "gather_p50": pct("gather_s", 50),
            "gather_p95": pct("gather_s", 95),
            "slowest_source_p50": pct("slowest_source_s", 50),
            "serial_sources_p50": pct("serial_sources_s", 50),
            "overhead_per_step_mean": overhead_ms,
            "overhead_per_step_p95_of_runs": pct("overhead_per_step_s", 95),
            "serve_calls_per_run": mean([x["serve_calls"] for x in per]),
            "openai_calls_per_run": mean([x["openai_calls"] for x in per]),
        },
        "per_conversation": per,
    }
    return rows, details
