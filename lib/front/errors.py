"""Typed Front API errors, so callers can tell "retry later" from "give up"."""

from __future__ import annotations

from datetime import timedelta

from inngest import RetryAfterError

# Front's rate limits are per minute (dev.frontapp.com/docs/rate-limiting): without
# a hint, the window's length is the honest wait.
DEFAULT_RATE_LIMIT_WAIT = 60.0


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


class FrontConflict(FrontError):
    """409: e.g. a draft's `version` is stale because a teammate changed the draft since we read it."""


class FrontMoved(FrontError):
    """301 on a write: the conversation was merged; `location` is where Front points (None if it named nothing)."""

    def __init__(self, status: int | None, message: str, location: str | None) -> None:
        super().__init__(status, message)
        self.location = location


class FrontRateLimited(FrontError, RetryAfterError):
    """429 whose wait is longer than a short in-process sleep (or still 429 after our retries).

    Also an Inngest `RetryAfterError`: raised inside a step, the SDK hands Front's
    delay to Inngest, which resumes the run after it instead of retrying inside
    the window; outside a step it is an ordinary typed `FrontError`.
    `retry_after_seconds` is Front's hint (Retry-After, else x-ratelimit-reset),
    None when it gave none; `retry_after` is the moment Inngest retries.
    """

    message = ""  # shadows inngest's read-only `Error.message`; set per instance below

    def __init__(self, status: int | None, message: str, retry_after_seconds: float | None = None) -> None:
        wait = retry_after_seconds if retry_after_seconds is not None else DEFAULT_RATE_LIMIT_WAIT
        RetryAfterError.__init__(self, f"Front API {status}: {message}", timedelta(seconds=max(1.0, wait)))
        self.status = status
        self.message = message
        self.retry_after_seconds = retry_after_seconds


class FrontUnavailable(FrontError):
    """5xx, timeouts or connection failures after our retries."""
