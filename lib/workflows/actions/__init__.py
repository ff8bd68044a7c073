"""Carrying out actions: `execute-approved-action` and `process-refund` (`function.py`), their step bodies (`steps.py`) and typed step I/O (`models.py`)."""

from lib.workflows.actions.function import FUNCTIONS, POLICY, execute_approved_action, process_refund

__all__ = ["FUNCTIONS", "POLICY", "execute_approved_action", "process_refund"]
