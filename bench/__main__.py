"""`python -m bench [--only cold_start,serve_cold,serve_body,ingest,pipeline,memory,model_calls] [--quick] [--output PATH]`.

Runs the benchmarks in order, prints the table (stdout; progress goes to
stderr) and writes it with the raw figures to `bench/results.json`. `--quick`
uses small counts to check that everything runs (its numbers mean little) and
writes `bench/.work/results-quick.json` instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable

from lib.config import ROOT

BENCHES = ("cold_start", "serve_cold", "serve_body", "ingest", "pipeline", "memory", "model_calls")
FULL: dict[str, dict[str, Any]] = {
    "cold_start": {"rounds": 15},
    "serve_cold": {"rounds": 15},
    "serve_body": {"sizes": (1, 4), "repeat": 15},
    "ingest": {"count": 6000, "warmup": 200, "max_seconds": 8.0, "rounds": 2},
    "pipeline": {"conversations": 50, "warmup": 2},
    "memory": {"runs": 200},
    "model_calls": {},
}
QUICK: dict[str, dict[str, Any]] = {
    "cold_start": {"rounds": 2},
    "serve_cold": {"rounds": 2},
    "serve_body": {"sizes": (1,), "repeat": 3},
    "ingest": {"count": 300, "warmup": 50, "max_seconds": 2.0, "rounds": 1},
    "pipeline": {"conversations": 5, "warmup": 1},
    "memory": {"runs": 10},
    "model_calls": {"every": 8},
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description="cold start, serve function, ingest, pipeline, memory and model-call benchmarks")
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {', '.join(BENCHES)}")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run, not a measurement")
    parser.add_argument("--output", type=Path, default=None, help="results file (default bench/results.json)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    output = args.output or (ROOT / "bench" / ".work" / "results-quick.json" if args.quick else ROOT / "bench" / "results.json")

    from bench import cold_start, ingest, memory, model_calls, pipeline, report, serve_body, serve_cold
    from bench.workspace import LOGS, Workspace, scrub_service_env

    started = time.monotonic()
    scrub_service_env()
    settings = QUICK if args.quick else FULL
    rows: list[report.Row] = []
    details: dict[str, Any] = {}
    with Workspace() as ws:
        _quiet_logging(LOGS / "bench.log")
        runners: dict[str, Callable[[], tuple[list[report.Row], dict[str, Any]]]] = {
            "cold_start": lambda: cold_start.run(**settings["cold_start"]),
            "serve_cold": lambda: serve_cold.run(**settings["serve_cold"]),
            "serve_body": lambda: serve_body.run(**settings["serve_body"]),
            "ingest": lambda: ingest.run(ws, **settings["ingest"]),
            "pipeline": lambda: pipeline.run(ws, **settings["pipeline"]),
            "memory": lambda: memory.run(ws, **settings["memory"]),
            "model_calls": lambda: model_calls.run(**settings["model_calls"]),
        }
        for name in BENCHES:
            if name not in chosen:
                continue
            began = time.monotonic()
            print(f"{name} ...", file=sys.stderr, flush=True)
            bench_rows, bench_details = runners[name]()
            bench_details["seconds"] = round(time.monotonic() - began, 1)
            rows += bench_rows
            details[name] = bench_details
            print(f"{name}: {bench_details['seconds']} s", file=sys.stderr, flush=True)

    print(report.table(rows))
    elapsed = time.monotonic() - started
    print(f"\n{sum(r.passed is True for r in rows)} pass, {sum(r.passed is False for r in rows)} fail, "
          f"{sum(r.passed is None for r in rows)} info; {elapsed:.0f} s; written to {_shown(output)}")
    report.write_json(output, rows, details, started, argv)
    return 0


def _quiet_logging(path: Path) -> None:
    """Library logs (fakes, werkzeug, the webhook) go to a file, not between the table's lines."""
    logging.basicConfig(level=logging.WARNING, filename=path, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
