"""A human decides before an action runs: `request-approval` and `notify-rejection` (`function.py`), their step bodies (`steps.py`) and typed step output (`models.py`)."""

from lib.workflows.approvals.function import FUNCTIONS, notify_rejection, request_approval

__all__ = ["FUNCTIONS", "notify_rejection", "request_approval"]
