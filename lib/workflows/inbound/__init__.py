"""One run per inbound customer message: `handle-inbound-message` (`function.py`), gathering its context (`context.py`) and its other step bodies (`steps.py`)."""

from lib.workflows.inbound.function import FUNCTIONS, handle_inbound_message

__all__ = ["FUNCTIONS", "handle_inbound_message"]
