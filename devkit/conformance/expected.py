"""The executor's declared gaps (README, "Offline executor"): tests that fail for them are expected.

Matched against pytest node ids; each entry says why.
"""

from __future__ import annotations

EXPECTED_FAILURES: dict[str, str] = {
    "batch_that_needs_api": "event batching (batchEvents) is not implemented",
    "debounce": "debounce is not implemented",
    "ai_infer": "step.ai.infer (AIGateway) is not implemented",
}


def expected_reason(nodeid: str) -> str | None:
    return next((why for key, why in EXPECTED_FAILURES.items() if key in nodeid), None)
