"""Typed Front API errors, so callers can tell "retry later" from "give up"."""

from __future__ import annotations


class FrontError(Exception):
    """Front answered with an error (or could not be reached); `status` is None when no answer came."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(f"Front API {status if status is not None else 'unreachable'}: {message}")
        self.status = status
        self.message = message


class FrontNotFound(FrontError):
    """404: the conversation, message or draft does not exist (or the token cannot see it)."""


class FrontAuthError(FrontError):
    """401/403: the token is missing, wrong or lacks the scope."""


class FrontRateLimited(FrontError):
    """429 after our capped retries; `retry_after` (seconds) is Front's hint, when it gave one."""

    def __init__(self, status: int | None, message: str, retry_after: float | None = None) -> None:
        super().__init__(status, message)
        self.retry_after = retry_after


class FrontUnavailable(FrontError):
    """5xx, timeouts or connection failures after our retries."""
