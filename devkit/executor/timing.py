"""Durations and times as the SDK writes them, and the time scale that shortens them in tests."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from lib.db.models import utcnow

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)")

# Backoff between retries of a failed request: 10 s, 20 s, 40 s ... capped at 10 min (before scaling).
BACKOFF_BASE_SECONDS = 10.0
BACKOFF_MAX_SECONDS = 600.0


def parse_duration(text: str | int | float | None) -> float | None:
    """Seconds in an Inngest duration such as `30s`, `1h30m`, `2d`; numbers are milliseconds."""
    if text is None or text == "":
        return None
    if isinstance(text, (int, float)):
        return float(text) / 1000
    text = text.strip()
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"not a duration: {text!r}")
    return total


def naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (the Sleep opcode's name), as naive UTC."""
    return naive_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds until the `retry-after` header's moment: seconds, ISO 8601 or an HTTP date."""
    if not value:
        return None
    now = now or utcnow()
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    for parse in (parse_time, lambda v: naive_utc(parsedate_to_datetime(v))):
        try:
            return max(0.0, (parse(value) - now).total_seconds())
        except (ValueError, TypeError):
            continue
    return None


def backoff_seconds(attempt: int) -> float:
    return min(BACKOFF_BASE_SECONDS * (2 ** max(0, attempt)), BACKOFF_MAX_SECONDS)


def later(seconds: float, scale: float, now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(seconds=max(0.0, seconds) * scale)


def scaled_until(until: datetime, scale: float, now: datetime | None = None) -> datetime:
    """When a wait ending at `until` ends under the time scale: exactly `until` at scale 1."""
    now = now or utcnow()
    return now + (until - now) * scale if until > now else now
