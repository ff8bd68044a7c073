"""Daily retention: `purge-old-texts` (`function.py`) deletes message texts past each app's retention (lib.trust.retention)."""

from lib.workflows.retention.function import FUNCTIONS, purge_old_texts

__all__ = ["FUNCTIONS", "purge_old_texts"]
