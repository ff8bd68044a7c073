"""Cron triggers: the schedule parser (five fields, TZ=, DST, day OR weekday) and scheduled runs."""

from __future__ import annotations

from datetime import datetime, timezone

import inngest
import pytest

from devkit.executor import cron
from devkit.sandbox.inngest_stack import InngestStack


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/15 * * * *", utc(2026, 1, 1, 10, 7), utc(2026, 1, 1, 10, 15)),
        ("0 9 * * MON-FRI", utc(2026, 1, 2, 9, 0), utc(2026, 1, 5, 9, 0)),  # Friday 09:00 -> Monday
        ("30 2 1 * *", utc(2026, 1, 31), utc(2026, 2, 1, 2, 30)),
        ("0 0 13 * 5", utc(2026, 2, 1), utc(2026, 2, 6)),  # day 13 OR Friday: Friday 6 Feb comes first
        ("@hourly", utc(2026, 1, 1, 10, 59, 59), utc(2026, 1, 1, 11, 0)),
        ("0 0 * * 7", utc(2026, 1, 1), utc(2026, 1, 4)),  # 7 is Sunday
        ("TZ=Europe/Paris 0 9 * * *", utc(2026, 1, 1, 9), utc(2026, 1, 2, 8)),  # CET = UTC+1
        ("TZ=Europe/Paris 0 9 * * *", utc(2026, 7, 1, 9), utc(2026, 7, 2, 7)),  # CEST = UTC+2
        ("TZ=America/New_York 30 2 * * *", utc(2026, 3, 8, 0), utc(2026, 3, 9, 6, 30)),  # 02:30 skipped on 8 March
    ],
)
def test_next_firing(expression: str, after: datetime, expected: datetime) -> None:
    assert cron.parse(expression).next_after(after) == expected


@pytest.mark.parametrize("expression", ["* * * *", "60 * * * *", "* * 31 2 *", "TZ=Mars/Base * * * * *", "*/0 * * * *", "a * * * *"])
def test_bad_expressions_are_refused(expression: str) -> None:
    with pytest.raises(cron.CronError):
        cron.parse(expression)


def test_a_cron_function_runs_on_schedule_with_inngests_event(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="ticker", trigger=inngest.TriggerCron(cron="TZ=Europe/Paris * * * * *"))
    def ticker(ctx: inngest.ContextSync) -> dict:
        return {"name": ctx.event.name, "data": dict(ctx.event.data)}

    # Every minute at 1/2000 speed: a firing every 30 ms of real time.
    with InngestStack([ticker], time_scale=0.0005) as stack:
        runs = stack.wait_for_run("ticker", count=2)
    assert runs[0]["output"] == {"name": "inngest/scheduled.timer", "data": {"cron": "TZ=Europe/Paris * * * * *"}}


def test_a_bad_cron_is_refused_at_registration(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="never-fires", trigger=inngest.TriggerCron(cron="0 0 30 2 *"))
    def never(ctx: inngest.ContextSync) -> None:
        return None

    with InngestStack([never], register=False) as stack:
        with pytest.raises(AssertionError, match="never fires"):
            stack.register()
