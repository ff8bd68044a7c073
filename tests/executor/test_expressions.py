"""The expression subset: the forms the project writes, and loud errors for anything else."""

from __future__ import annotations

import pytest

from devkit.executor.expressions import ExpressionError, evaluate, matches
from devkit.executor.timing import parse_duration

SCOPE = {
    "event": {"name": "a/b", "data": {"actionId": "x1", "n": 5, "tier": "vip", "flag": True}},
    "async": {"name": "a/c", "data": {"actionId": "x1", "n": 2}},
}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("async.data.actionId == event.data.actionId", True),
        ("async.data.n == event.data.n", False),
        ("async.data.n != event.data.n", True),
        ("event.data.n > 3 && event.data.tier == 'vip'", True),
        ('event.data.tier == "basic" || event.data.n >= 5', True),
        ("!(event.data.n < 10)", False),
        ("event.data.flag == true && event.data.missing == null", True),
        ("event.data.missing.deeper == 'x'", False),
        ("event.data.n <= 4.5", False),
        ("event.name == 'a/b'", True),
    ],
)
def test_supported_forms(expression: str, expected: bool) -> None:
    assert evaluate(expression, SCOPE) is expected


@pytest.mark.parametrize("expression", ["event.data.n ==", "size(event.data) > 1", "event.data.n = 1", "(event.data.n == 1"])
def test_unsupported_or_malformed_expressions_raise(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression, SCOPE)


def test_no_expression_matches_everything() -> None:
    assert matches(None, SCOPE) and matches("", SCOPE)


def test_durations() -> None:
    assert parse_duration("30s") == 30
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d") == 172800
    assert parse_duration(1500) == 1.5
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_every_match_the_project_declares_is_understood() -> None:
    """Each wait/cancel expression in `lib.inngest.events.MATCHES` parses and pairs only its own events."""
    from lib.inngest.events import MATCHES

    assert MATCHES
    for match in MATCHES:
        trigger = {"name": match.trigger.name, "data": {match.field: "same"}}
        assert matches(match.expression, {"event": trigger, "async": {"name": match.awaited.name, "data": {match.field: "same"}}})
        assert not matches(match.expression, {"event": trigger, "async": {"name": match.awaited.name, "data": {match.field: "other"}}})
