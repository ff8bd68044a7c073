"""`python -m tests.evals [--split dev|held_out] [--show-misses] [--out bench/eval_results.json]`: run the eval, print the table."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from tests.evals.harness import figures, gate_failures, load_cases, run_case, table

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.evals", description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "bench" / "eval_results.json"))
    parser.add_argument("--show-misses", action="store_true", help="list misrouted cases of the dev split (never held_out)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from lib import config

    mode = "openai" if config.env("OPENAI_API_KEY") else "offline"
    started = time.perf_counter()
    outcomes = [run_case(case) for case in load_cases()]
    results = {
        "all": figures(outcomes),
        "dev": figures([o for o in outcomes if o.case["split"] == "dev"]),
        "held_out": figures([o for o in outcomes if o.case["split"] == "held_out"]),
    }
    print(f"eval ({mode}): {len(outcomes)} messages in {time.perf_counter() - started:.1f} s")
    print(table(results))
    failed = gate_failures(results["all"])
    print("gates: " + ("pass" if not failed else "FAIL: " + "; ".join(failed)))
    if args.show_misses:
        for miss in results["dev"]["misrouted"]:
            print(f"  miss {miss['id']}: expected {miss['expected']}, got {miss['got']} ({miss['rule']})")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    models = {"router": None, "agent": None}
    if mode == "openai":
        from lib.agent.openai_agent import model_name
        from lib.routing.classifier import model_name as router_model

        models = {"router": router_model(), "agent": model_name()}
    out.write_text(json.dumps({"mode": mode, "models": models, "gates": {"failed": failed}, "results": results}, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
