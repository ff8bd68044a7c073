"""The Inngest functions, one module per workflow. `all_functions()` is what `/api/inngest` serves.

Import rule: `/api/inngest` imports every `function.py` and `steps.py` on each cold start, and
any step of any run may land on a cold instance. So these modules import only what registering
a function needs (the SDK, `lib.inngest.events`, the pydantic step models); a step body imports
its heavy dependencies (`lib.db` and SQLAlchemy, OpenAI, Stripe, the Front client) inside itself,
where they load when that step runs. `tests/test_import_hygiene.py` checks it.
"""

from __future__ import annotations

import importlib
from typing import Any

# Modules holding functions, in the order a reader meets them in the flow.
WORKFLOW_MODULES = (
    "lib.workflows.inbound",  # handle-inbound-message
    "lib.workflows.approvals",  # request-approval, notify-rejection
    "lib.workflows.actions",  # execute-approved-action, process-refund
    "lib.workflows.replies",  # record-human-reply
    "lib.workflows.retention",  # purge-old-texts (daily cron)
)


def all_functions() -> list[Any]:
    """Every function this app registers with Inngest (imported here, not at package import)."""
    functions: list[Any] = []
    for name in WORKFLOW_MODULES:
        module = importlib.import_module(name)
        functions.extend(module.FUNCTIONS)
    return functions
