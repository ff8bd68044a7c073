"""A teammate answered in Front: `record-human-reply` (`function.py`), its step (`steps.py`) and typed output (`models.py`)."""

from lib.workflows.replies.function import FUNCTIONS, record_human_reply

__all__ = ["FUNCTIONS", "record_human_reply"]
