"""Model calls and tokens per inbound message: routing + agent against the agent answering everything.

Over the eval corpus (`tests/evals/data`, 310 labelled messages), with the OpenAI SDK
pointed at the fake OpenAI (`devkit/sandbox/openai_server.py`), whose `usage` estimates
the tokens the API would count (`devkit/sandbox/openai_tokens.py`: characters / 4 plus
the chat format; no tokenizer works offline). Each message goes through what the `route`
and `agent-reasoning` steps do (`tests.evals.harness.run_case`): the rules, the classifier
for what they leave open, the agent for `respond`. The baseline, in the same run, sends
every message straight to the agent: one agent run per message, the thing routing must beat.

The fake's classifier answers `respond` to everything the rules leave open, so the routed
figures are an upper bound: a real classifier also routes some of those away.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.report import Row
from bench.stats import ratio

TARGET = 1.0  # fewer model calls and fewer tokens per message than the agent answering everything


def run(every: int = 1) -> tuple[list[Row], dict[str, Any]]:
    """Every `every`-th case of the corpus (1: all of them; the quick run takes a spread of each file)."""
    from devkit.sandbox.openai_server import FakeOpenAI
    from tests.evals.harness import figures, load_cases, run_case

    cases = load_cases()[::every]
    with FakeOpenAI():
        routed = [run_case(case) for case in cases]
        print(f"  model calls: {len(cases)} messages routed", file=sys.stderr, flush=True)
        direct = [run_case(case, route_first=False) for case in cases]
    ours, alone = figures(routed), figures(direct)
    errors = ours["errors"] + alone["errors"]
    if errors:
        print(f"  model calls: agent errors on {errors[:5]}", file=sys.stderr, flush=True)
    calls, base_calls = ours["model_calls_per_message"], alone["model_calls_per_message"]
    tokens, base_tokens = ours["tokens_per_message"], alone["tokens_per_message"]
    rows = [
        Row("model calls", "model calls per message: routed vs agent on all", calls, base_calls, "",
            target=f"< {TARGET:g}x", passed=ratio(calls, base_calls) < TARGET),
        Row("model calls", "tokens per message: routed vs agent on all", tokens, base_tokens, "",
            target=f"< {TARGET:g}x", passed=ratio(tokens, base_tokens) < TARGET),
        Row("model calls", "agent runs per message: routed vs agent on all", ours["agent_runs_per_message"],
            alone["agent_runs_per_message"], ""),
        Row("model calls", "cost per message, list prices (USD x 1000)", 1000 * (ours["cost_usd_per_message"] or 0),
            1000 * (alone["cost_usd_per_message"] or 0), ""),
    ]
    keep = ("cases", "model_calls_per_message", "agent_runs_per_message", "tokens_per_message",
            "cost_usd_per_message", "errors")
    details = {
        "messages": len(cases),
        "routed": {k: ours[k] for k in keep},
        "agent_on_all": {k: alone[k] for k in keep},
        "tokens_by_model": {"routed": _by_model(routed), "agent_on_all": _by_model(direct)},
        "token_count": "estimated by the fake OpenAI: characters / 4 plus the chat format "
                       "(devkit/sandbox/openai_tokens.py)",
    }
    return rows, details


def _by_model(outcomes: list[Any]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for outcome in outcomes:
        for model, tokens in outcome.tokens.items():
            total = totals.setdefault(model, {"calls": 0, "prompt": 0, "completion": 0})
            for key in total:
                total[key] += tokens[key]
    return totals
