"""Cold start: import time of each `api/*.py` function in a fresh interpreter, against bare Flask.

Every sample is a new `python -I` process that times only the import (the
interpreter's own start-up is the same for all and left out). Targets run
round-robin, a discarded first round warms the page cache and bytecode, and each
reported figure is the median of `rounds` samples. The probe also lists which
heavy SDKs the import left in `sys.modules`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.report import Row
from bench.stats import median, ratio
from bench.workspace import BenchError, PYTHON, child_env
from lib.config import ROOT
from devkit.devserver import api_modules

BARE_FLASK = "bare Flask"
FLASK_REQUESTS = "Flask + requests"
HEAVY = ("openai", "stripe", "sqlalchemy", "inngest", "pydantic", "requests")
LAZY = ("openai", "stripe", "sqlalchemy")  # no function may import these before its first call needs them
FRONT_TARGET = 1.3

PROBE = r"""
import importlib, json, sys, time
sys.path.insert(0, sys.argv[1])
target = sys.argv[2]
start = time.perf_counter()
if target in ("bare Flask", "Flask + requests"):
    from flask import Flask
    if target == "Flask + requests":
        import requests
    app = Flask("bare")

    @app.post("/")
    def ok():
        return {"ok": True}
else:
    app = importlib.import_module(target).app
seconds = time.perf_counter() - start
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[3].split(",")))
print(json.dumps({"seconds": seconds, "heavy": heavy}))
"""


def _sample(target: str) -> dict[str, Any]:
    proc = subprocess.run(
        [PYTHON, "-I", "-c", PROBE, str(ROOT), target, ",".join(HEAVY)],
        cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120,
    )
    if proc.returncode != 0:
        raise BenchError(f"importing {target} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(rounds: int = 15) -> tuple[list[Row], dict[str, Any]]:
    targets = [BARE_FLASK, FLASK_REQUESTS] + [f"api.{name}" for name in api_modules()]
    samples: dict[str, list[float]] = {t: [] for t in targets}
    heavy: dict[str, list[str]] = {}
    for round_no in range(rounds + 1):
        order = targets[round_no % len(targets):] + targets[: round_no % len(targets)]
        for target in order:
            result = _sample(target)
            heavy[target] = result["heavy"]
            if round_no > 0:  # round 0 warms caches
                samples[target].append(result["seconds"] * 1000)
        print(f"  cold start: round {round_no}/{rounds}", file=sys.stderr, flush=True)

    medians = {t: median(v) for t, v in samples.items()}
    bare, with_requests = medians[BARE_FLASK], medians[FLASK_REQUESTS]
    rows = [Row("cold start", f"import {FLASK_REQUESTS} vs {BARE_FLASK}", with_requests, bare, "ms")]
    for target in targets[2:]:
        rows.append(Row("cold start", f"import {target} vs {BARE_FLASK}", medians[target], bare, "ms"))
    rows.append(
        Row("cold start", f"import api.front vs {FLASK_REQUESTS}", medians["api.front"], with_requests, "ms",
            target=f"<= {FRONT_TARGET}x", passed=ratio(medians["api.front"], with_requests) <= FRONT_TARGET)
    )
    offenders = sorted(t for t in targets[2:] if set(heavy[t]) & set(LAZY))
    rows.append(
        Row("cold start", "functions importing openai/stripe/sqlalchemy at import", len(offenders), None, "",
            target="0", passed=not offenders, note=", ".join(offenders) or "none")
    )
    details = {
        "rounds": rounds,
        "median_ms": medians,
        "samples_ms": samples,
        "heavy_modules_after_import": heavy,
    }
    return rows, details
