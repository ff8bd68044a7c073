"""The eval's model path against the fake OpenAI: routed-away mail costs no call; tokens and cost are counted.

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
    bounce, question = run_case(by_id["auto-022"]), run_case(by_id["q-009"])

    assert (bounce.route, bounce.calls) == ("no_reply", 0)
    assert question.route == "respond" and question.calls >= 2  # the classifier, then the agent
    assert set(question.tokens) == {"gpt-4.1-nano", "gpt-4.1-mini"}
    result = figures([bounce, question])
    assert result["model_calls_per_message"] == question.calls / 2
    assert result["tokens_per_message"] and result["cost_usd_per_message"] and result["cost_usd_per_message"] > 0
