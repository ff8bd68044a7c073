"""Missing settings fail at once: no retry can make an unset variable appear.

`FailFastOnMissingSetting` is Inngest middleware on the project's client: when a
step (or a function) raises `lib.config.MissingSetting`, the error handed back to
Inngest becomes a `NonRetriableError` with the same message, so the SDK answers
with `X-Inngest-No-Retry: true` and Inngest fails the step at its first attempt
(inngest-py `comm_lib/models.py`: a non-retriable error sets that header; the
step's failure then reaches the function as `inngest.StepError`, which the
workflows answer by handing the conversation to a human). Without it a missing
`FRONT_API_TOKEN` or `STRIPE_SECRET_KEY` took every retry and minutes of backoff.
"""

from __future__ import annotations

import inngest

from lib.config import MissingSetting


class FailFastOnMissingSetting(inngest.MiddlewareSync):
    def transform_output(self, result: inngest.TransformOutputResult) -> None:
        if isinstance(result.error, MissingSetting):
            replaced = inngest.NonRetriableError(str(result.error))
            replaced.__cause__ = result.error
            result.error = replaced
