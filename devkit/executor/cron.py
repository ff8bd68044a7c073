"""Cron schedules for `TriggerCron`: standard five-field syntax with an optional `TZ=` zone.

Inngest's docs ("Scheduled functions"): `minute hour day-of-month month day-of-week`, with
`*`, lists, ranges and steps, an optional `TZ=Area/City ` (or `CRON_TZ=`) prefix, UTC
otherwise. As in Vixie cron, when both day fields are restricted a day matching either
one fires; day-of-week 0 and 7 are Sunday; month and day names (`JAN`, `MON`) work; the
macros `@yearly @annually @monthly @weekly @daily @midnight @hourly` too.

A parser of our own (about 100 lines) rather than `croniter`: the project needs only
"next time after t", and a small module with its own tests has no upgrade churn nor a
dependency whose maintenance has changed hands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_MONTHS = {n: i for i, n in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
_DAYS = {n: i for i, n in enumerate("SUN MON TUE WED THU FRI SAT".split())}
_SEARCH_DAYS = 366 * 5  # a schedule that never fires within five years (e.g. 31 February) is refused


class CronError(ValueError):
    """An expression that is not a valid schedule."""


@dataclass(frozen=True)
class Schedule:
    expression: str
    zone: ZoneInfo | timezone
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month, in_week = day.day in self.days, (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, moment: datetime) -> datetime:
        """The first firing strictly after `moment` (aware, or naive UTC), as an aware UTC datetime."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime.combine(day, time(hour, minute), tzinfo=self.zone)
                        # A wall time skipped by a DST change does not exist: it does not fire.
                        if candidate.astimezone(timezone.utc).astimezone(self.zone).replace(tzinfo=None) != candidate.replace(tzinfo=None):
                            continue
                        if candidate > moment:
                            return candidate.astimezone(timezone.utc)
            day += timedelta(days=1)
        raise CronError(f"{self.expression!r} never fires")


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()

    def number(token: str) -> int:
        token = token.upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            raise CronError(f"{token!r} is not a number")
        return int(token)

    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = number(step_text) if step_text else 1
        if step < 1:
            raise CronError(f"step {step_text!r} must be at least 1")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise CronError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse(expression: str) -> Schedule:
    """A schedule from `[TZ=Zone ]m h dom mon dow` or a macro; CronError when it is not one."""
    text = expression.strip()
    zone: ZoneInfo | timezone = timezone.utc
    if text.startswith(("TZ=", "CRON_TZ=")):
        prefix, _, text = text.partition(" ")
        name = prefix.split("=", 1)[1]
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise CronError(f"unknown time zone {name!r}") from None
        text = text.strip()
    text = _MACROS.get(text.lower(), text)
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"{expression!r}: expected five fields (minute hour day month weekday)")
    minute, hour, day, month, weekday = fields
    weekdays = frozenset(d % 7 for d in _field(weekday, 0, 7, _DAYS))
    schedule = Schedule(
        expression=expression, zone=zone,
        minutes=_field(minute, 0, 59), hours=_field(hour, 0, 23), days=_field(day, 1, 31),
        months=_field(month, 1, 12, _MONTHS), weekdays=weekdays,
        any_day=day.startswith("*"), any_weekday=weekday.startswith("*"),
    )
    schedule.next_after(datetime.now(timezone.utc))  # refuses a schedule that never fires
    return schedule
