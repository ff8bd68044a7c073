"""Serve-function cold start: import + first call of `api/inngest.py`, against the SDK's own serve.

On Vercel any step of any run may land on a cold instance, which imports the
function and then answers one call. Each sample is a new `python -I` process
that times exactly that: import the module, then hand its WSGI app one signed
POST (Cloud mode, so the SDK checks the signature as on Vercel) for the first
call of a run. The call has `disable_immediate_execution` set, so the SDK
reports the first step as planned instead of running it: both apps do the whole
protocol (guard, signature, parsing, the handler up to its first step) but
neither does a step's own work, which a step needs wherever it runs.

The floor (`bench.sdk_floor`) is a bare Flask app with `inngest.flask.serve` and
one trivial function: nothing serving Inngest from Python starts faster. Targets
run round-robin, a first round is discarded (page cache, bytecode), and each
figure is the median of `rounds` samples. The probe also lists which heavy SDKs
were in `sys.modules` after the call.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.report import Row
from bench.stats import median, ratio
from bench.workspace import PYTHON, WORK, BenchError, child_env
from devkit.executor.signing import sign
from lib.config import ROOT

TARGET = 1.5  # api.inngest import + first call <= 1.5x the SDK's own serve
SIGNING_KEY = "signkey-prod-" + "ab" * 32
HEAVY = ("openai", "stripe", "sqlalchemy")
APP_ID = "support-workflows"

PROBE = r"""
import importlib, json, sys, time
sys.path.insert(0, sys.argv[1])
from bench.wsgi import post  # the harness, loaded before the clock starts
spec = json.loads(open(sys.argv[2]).read())
body = spec["body"].encode()
start = time.perf_counter()
app = importlib.import_module(spec["module"]).app
imported = time.perf_counter()
status, out = post(app, "/api/inngest", spec["query"], body, spec["headers"])
end = time.perf_counter()
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(spec["heavy"]))
print(json.dumps({"import": imported - start, "total": end - start, "status": status,
                  "answer": out[:300].decode(errors="replace"), "heavy": heavy}))
"""


def _call(module: str, function_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """A signed first call of a run: the event, no memoized steps, the first step to be planned."""
    body = json.dumps({
        "ctx": {"attempt": 0, "disable_immediate_execution": True, "run_id": "01JBENCHCOLDSTART0000000000",
                "stack": {"stack": []}},
        "event": event, "events": [event], "steps": {}, "use_api": False,
    })
    return {
        "module": module,
        "query": f"fnId={APP_ID}-{function_id}&stepId=step",
        "body": body,
        "headers": {"X-Inngest-Signature": sign(body.encode(), SIGNING_KEY), "X-Inngest-Server-Kind": "cloud"},
        "heavy": list(HEAVY),
    }


def targets() -> dict[str, dict[str, Any]]:
    """The two cold calls; the floor's function id and event are those of `bench/sdk_floor.py` (not imported
    here: it needs the child's settings)."""
    inbound = {
        "conversationId": "cnv_cold", "messageId": "msg_cold", "inboxId": "inb_cold", "appId": "acme",
        "frontEventId": "evt_cold", "subject": "Opening hours", "body": "What are your opening hours?",
        "senderEmail": "casey@example.com",
    }
    return {
        "SDK floor": _call("bench.sdk_floor", "hello", {"name": "bench/hello", "data": {}, "id": "e1", "ts": 0}),
        "api.inngest": _call("api.inngest", "handle-inbound-message",
                             {"name": "front/inbound_received", "data": inbound, "id": "e2", "ts": 0}),
    }


def _sample(spec_path: Path) -> dict[str, Any]:
    env = child_env(INNGEST_DEV="0", INNGEST_SIGNING_KEY=SIGNING_KEY, INNGEST_EVENT_KEY="bench-event-key")
    proc = subprocess.run([PYTHON, "-I", "-c", PROBE, str(ROOT), str(spec_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise BenchError(f"cold call failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if not result["status"].startswith("206"):  # 206: the SDK planned the first step
        raise BenchError(f"cold call answered {result['status']}: {result['answer']}")
    return result


def run(rounds: int = 15) -> tuple[list[Row], dict[str, Any]]:
    specs = targets()
    WORK.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, spec in specs.items():
        paths[name] = WORK / f"serve-cold-{name.replace(' ', '-').replace('.', '-')}.json"
        paths[name].write_text(json.dumps(spec))
    names = list(specs)
    samples: dict[str, dict[str, list[float]]] = {n: {"import": [], "total": []} for n in names}
    heavy: dict[str, list[str]] = {}
    for round_no in range(rounds + 1):
        for name in names if round_no % 2 else reversed(names):
            result = _sample(paths[name])
            heavy[name] = result["heavy"]
            if round_no > 0:  # round 0 warms caches
                samples[name]["import"].append(result["import"] * 1000)
                samples[name]["total"].append(result["total"] * 1000)
        print(f"  serve cold start: round {round_no}/{rounds}", file=sys.stderr, flush=True)

    med = {n: {k: median(v) for k, v in s.items()} for n, s in samples.items()}
    ours, floor = med["api.inngest"], med["SDK floor"]
    rows = [
        Row("serve cold", "api.inngest import + first call vs SDK's own serve", ours["total"], floor["total"], "ms",
            target=f"<= {TARGET}x", passed=ratio(ours["total"], floor["total"]) <= TARGET),
        Row("serve cold", "api.inngest import alone vs SDK's own serve", ours["import"], floor["import"], "ms"),
        Row("serve cold", "api.inngest first call alone vs SDK's own serve", ours["total"] - ours["import"],
            floor["total"] - floor["import"], "ms"),
        Row("serve cold", "openai/stripe/sqlalchemy loaded by the cold call", len(heavy["api.inngest"]), None, "",
            target="0", passed=not heavy["api.inngest"], note=", ".join(heavy["api.inngest"]) or "none"),
    ]
    details = {"rounds": rounds, "median_ms": med, "samples_ms": samples, "heavy_modules_after_call": heavy}
    return rows, details
