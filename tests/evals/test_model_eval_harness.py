"""The eval's model path against the fake OpenAI: routed-away mail costs no call, a rule-routed request skips the
classifier; tokens and cost are counted.

This checks the harness, not a model: the real model eval (`make eval` with a key) is never run in CI.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.evals.harness import figures, load_cases, run_case
from devkit.sandbox.openai_server import FakeOpenAI


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def test_model_calls_tokens_and_cost_per_message(openai: FakeOpenAI) -> None:
    by_id = {c["id"]: c for c in load_cases()}
    bounce, question, idea = run_case(by_id["auto-022"]), run_case(by_id["q-009"]), run_case(by_id["q-042"])

    assert (bounce.route, bounce.calls) == ("no_reply", 0)
    # A known customer's clear question: the rules route it, only the agent is called.
    assert (question.route, question.source, question.calls) == ("respond", "rules", 1)
    assert set(question.tokens) == {"gpt-4.1-mini"}
    # A suggestion no rule settles: the classifier, then the agent.
    assert (idea.route, idea.source, idea.calls) == ("respond", "classifier", 2)
    assert set(idea.tokens) == {"gpt-4.1-nano", "gpt-4.1-mini"}
    result = figures([bounce, question, idea])
    assert result["model_calls_per_message"] == round(3 / 3, 4)
    assert result["respond_by_rule"] == {"cases": 1, "precision": 1.0, "labelled_otherwise": []}
    assert result["tokens_per_message"] and result["cost_usd_per_message"] and result["cost_usd_per_message"] > 0
