"""Strict schemas: what the agent sends passes the checks the API makes, and a field strict mode cannot take fails.

The fake OpenAI refuses such schemas with the API's 400 (rules and sources in
`devkit/sandbox/openai_schema.py`); these tests go through the real SDK, as production does.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import openai
import pytest
from pydantic import BaseModel, Field

from lib.agent import decide, tools
from lib.agent.models import AgentContext, ModelOutput
from tests.agent.helpers import context
from devkit.sandbox.openai_schema import SchemaError, check_strict_schema
from devkit.sandbox.openai_server import FakeOpenAI, check_request, tool_calls

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(max_retries=0) as server:
        yield server


def _client(fake: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(api_key=fake.api_key, base_url=fake.base_url, max_retries=0)


def _error(exc: pytest.ExceptionInfo[openai.BadRequestError]) -> dict[str, Any]:
    body = exc.value.body
    assert isinstance(body, dict) and set(body) == {"message", "type", "param", "code"}
    assert body["type"] == "invalid_request_error"
    return body


def test_what_the_agent_sends_is_strict_and_accepted(fake: FakeOpenAI) -> None:
    decide(AgentContext.model_validate(context("I'd like a refund please")))  # tool rounds, then the answer
    assert len(fake.completions) == 3 and len(fake.requests) == 3
    for body in fake.completions:
        assert body["parallel_tool_calls"] is False
        assert all(tool["function"]["strict"] is True for tool in body["tools"])
        assert body["response_format"]["type"] == "json_schema" and body["response_format"]["json_schema"]["strict"] is True
        assert check_request(body) is None
        for tool in body["tools"]:
            check_strict_schema(tool["function"]["parameters"])
        check_strict_schema(body["response_format"]["json_schema"]["schema"])


def test_the_routing_classifier_request_is_strict_has_no_tools_and_is_accepted(fake: FakeOpenAI) -> None:
    from lib.routing.classifier import classify

    decision = classify(AgentContext.model_validate(context("Does the Pro plan include the API?")))
    assert decision.route == "respond" and decision.source == "classifier"
    [body] = fake.completions
    assert "tools" not in body and "parallel_tool_calls" not in body  # the API refuses parallel_tool_calls without tools
    assert body["response_format"]["json_schema"]["name"] == "RouteOutput" and body["response_format"]["json_schema"]["strict"] is True
    assert check_request(body) is None
    check_strict_schema(body["response_format"]["json_schema"]["schema"])
    assert body["model"] == "gpt-4.1-nano"


class WithDefault(ModelOutput):
    """A future answer field with a default: pydantic keeps `default: "normal"`, which strict mode refuses."""

    priority: str = Field(default="normal", description="how urgent")


class WithLength(BaseModel):
    """A future tool argument with a length bound strict mode does not support."""

    email: str = Field(min_length=3)


def test_a_default_in_the_answer_schema_is_a_400(fake: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        _client(fake).chat.completions.parse(model="m", messages=MESSAGES, response_format=WithDefault)  # type: ignore[arg-type]
    error = _error(exc)
    assert error["param"] == "response_format"
    assert "In context=('properties', 'priority'), 'default' is not permitted." in error["message"]
    assert fake.completions == []


def test_an_unsupported_keyword_in_a_strict_tool_is_a_400(fake: FakeOpenAI) -> None:
    tool = openai.pydantic_function_tool(WithLength, name="lookup")
    with pytest.raises(openai.BadRequestError) as exc:
        _client(fake).chat.completions.parse(
            model="m", messages=MESSAGES, tools=[tool], parallel_tool_calls=False  # type: ignore[arg-type,list-item]
        )
    error = _error(exc)
    assert error["param"] == "tools[0].function.parameters" and error["code"] == "invalid_function_parameters"
    assert "Invalid schema for function 'lookup'" in error["message"] and "'minLength' is not permitted" in error["message"]


def test_a_non_required_or_open_object_is_a_400(fake: FakeOpenAI) -> None:
    loose = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"], "additionalProperties": False}
    tool = {"type": "function", "function": {"name": "loose", "strict": True, "parameters": loose}}
    with pytest.raises(openai.BadRequestError) as exc:
        _client(fake).chat.completions.create(model="m", messages=MESSAGES, tools=[tool], parallel_tool_calls=False)  # type: ignore[arg-type,list-item]
    assert "Missing 'b'" in _error(exc)["message"]
    with pytest.raises(SchemaError, match="'additionalProperties' is required to be supplied and to be false"):
        check_strict_schema({**loose, "required": ["a", "b"], "additionalProperties": True})


def test_strict_tools_with_parallel_calls_on_may_break_their_schema(fake: FakeOpenAI) -> None:
    """What the agent avoids by sending `parallel_tool_calls=False`: the API accepts the request, and parallel calls may leave the schema."""
    fake.script(tool_calls(("lookup_user", {"email": "a@example.com"}), ("lookup_user", {"email": "b@example.com"})))
    answer = _client(fake).chat.completions.create(model="m", messages=MESSAGES, tools=tools.tool_params())  # type: ignore[arg-type]
    calls = answer.choices[0].message.tool_calls or []
    assert [json.loads(call.function.arguments) for call in calls] == [  # type: ignore[union-attr]
        {"email": "a@example.com"}, {"email": "b@example.com", "unexpected_parallel_field": True}]


def test_parallel_tool_calls_without_tools_is_refused(fake: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as exc:
        _client(fake).chat.completions.create(model="m", messages=MESSAGES, parallel_tool_calls=False)  # type: ignore[arg-type]
    assert "only allowed when 'tools' are specified" in _error(exc)["message"]


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "array", "items": {"type": "string"}}, "must be a JSON Schema of 'type: \"object\"'"),
        ({"type": "object", "properties": {"x": {"description": "no type"}}, "required": ["x"], "additionalProperties": False}, "must have a 'type' key"),
        ({"type": "object", "properties": {"x": {"allOf": [{"type": "string"}]}}, "required": ["x"], "additionalProperties": False}, "'allOf' is not permitted"),
        ({"type": "object", "additionalProperties": False}, "object schema missing properties"),
    ],
)
def test_other_shapes_strict_mode_refuses(schema: dict[str, Any], problem: str) -> None:
    with pytest.raises(SchemaError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        check_strict_schema(schema)


def _nested(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        node = {"type": "object", "properties": {"n": node}, "required": ["n"], "additionalProperties": False}
    return node


def test_nesting_and_size_limits() -> None:
    check_strict_schema(_nested(10))
    with pytest.raises(SchemaError, match="11 levels of nesting exceeds limit of 10"):
        check_strict_schema(_nested(11))
    wide = {f"p{i}": {"type": "string"} for i in range(5001)}
    with pytest.raises(SchemaError, match="5001 object properties"):
        check_strict_schema({"type": "object", "properties": wide, "required": list(wide), "additionalProperties": False})


@pytest.mark.parametrize("model_name", ["ModelOutput", "RouteOutput"])
def test_the_format_built_once_is_what_the_sdk_sends_for_the_type(fake: FakeOpenAI, model_name: str) -> None:
    """`lib.agent.structured` keeps the format as a dict; the request must be byte-for-byte what `parse(type)` sends."""
    from lib.agent import structured
    from lib.routing.classifier import RouteOutput

    model = {"ModelOutput": ModelOutput, "RouteOutput": RouteOutput}[model_name]
    client = _client(fake)
    for response_format in (model, structured.response_format(model), structured.response_format(model)):
        fake.script({"content": "{}"})
        try:
            client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=response_format)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - "{}" is not a valid answer; only the request matters here
            pass
    by_type, built_once, reused = (body["response_format"] for body in fake.completions[-3:])
    assert by_type["json_schema"]["name"] == model_name
    assert by_type == built_once == reused


def test_an_answer_off_the_schema_is_a_validation_error_and_a_refusal_is_none() -> None:
    from types import SimpleNamespace

    from pydantic import ValidationError

    from lib.agent import structured

    with pytest.raises(ValidationError):
        structured.parsed_output(ModelOutput, SimpleNamespace(content='{"reasoning": 1}', refusal=None))
    assert structured.parsed_output(ModelOutput, SimpleNamespace(content=None, refusal="no")) is None
    answer = structured.parsed_output(ModelOutput, SimpleNamespace(content=json.dumps({"reasoning": "r", "action": None, "draft_response": "hi", "category": "other", "confidence": 0.5}), refusal=None))
    assert answer is not None and answer.draft_response == "hi"
