"""The model's read-only tools, called directly."""

from __future__ import annotations

import json

from lib.agent import tools
from lib.agent.models import AgentContext
from tests.agent.helpers import context, purchase


def _ctx(**kw: object) -> AgentContext:
    return AgentContext.model_validate(context("hello", **kw))  # type: ignore[arg-type]


def test_the_context_customer_is_answered_without_asking_the_app() -> None:
    ctx = _ctx(purchases=[purchase("pur_7")])
    user = json.loads(tools.execute("lookup_user", json.dumps({"email": "CASEY@example.com"}), ctx))["result"]
    assert user["id"] == "usr_1"
    purchases = json.loads(tools.execute("get_purchases", json.dumps({"user_id": "usr_1"}), ctx))["result"]
    assert [p["id"] for p in purchases] == ["pur_7"]


def test_history_is_limited_and_oldest_first() -> None:
    raw = context("latest")
    raw["messages"] = [{"id": f"m{i}", "author": "a@b.c", "is_inbound": True, "text": f"t{i}", "created_at": i} for i in range(40)]
    ctx = AgentContext.model_validate(raw)
    last_two = json.loads(tools.execute("get_conversation_history", json.dumps({"limit": 2}), ctx))["result"]
    assert [m["text"] for m in last_two] == ["t38", "t39"]
    everything = json.loads(tools.execute("get_conversation_history", json.dumps({"limit": None}), ctx))["result"]
    assert len(everything) == tools.MAX_HISTORY


def test_bad_arguments_and_unknown_tools_are_error_results() -> None:
    ctx = _ctx()
    assert "invalid arguments" in json.loads(tools.execute("lookup_user", "{}", ctx))["error"]
    assert "invalid arguments" in json.loads(tools.execute("lookup_user", "not json", ctx))["error"]
    assert "unknown tool" in json.loads(tools.execute("refund", "{}", ctx))["error"]


def test_other_customers_need_the_integration() -> None:
    error = json.loads(tools.execute("lookup_user", json.dumps({"email": "other@example.com"}), _ctx()))["error"]
    assert "no integration" in error


def test_huge_results_are_cut() -> None:
    ctx = _ctx(purchases=[purchase(f"p{i}", product="x" * 200) for i in range(200)])
    answer = json.loads(tools.execute("get_purchases", json.dumps({"user_id": "usr_1"}), ctx))
    assert "too large" in answer["error"] and len(answer["truncated"]) == 2000


def test_no_tool_changes_anything() -> None:
    assert set(tools.TOOL_MODELS) == {"lookup_user", "get_purchases", "get_conversation_history"}
    assert all(t["function"]["strict"] is True for t in tools.tool_params())
