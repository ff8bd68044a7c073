"""The fake OpenAI's `usage`: tokens estimated as documented in `devkit/sandbox/openai_tokens.py`, read by the real SDK."""

from __future__ import annotations

from lib.agent import decide, usage
from lib.agent.models import AgentContext
from devkit.sandbox.openai_server import FakeOpenAI
from devkit.sandbox.openai_tokens import completion_tokens, prompt_tokens
from tests.agent.helpers import context


def test_a_message_counts_its_texts_and_the_chat_format() -> None:
    body = {"messages": [{"role": "user", "content": "abcd" * 10}]}
    assert prompt_tokens(body) == 3 + 3 + 1 + 10  # reply priming, message overhead, "user", 40 characters
    named = {"messages": [{"role": "user", "name": "casey", "content": "abcd" * 10}]}
    assert prompt_tokens(named) == prompt_tokens(body) + 2 + 1  # "casey" and the name's own token


def test_tools_response_schema_and_tool_calls_are_read_and_written() -> None:
    plain = {"messages": [{"role": "user", "content": "hi"}]}
    tool = {"type": "function", "function": {"name": "lookup_user", "parameters": {"type": "object", "properties": {}}}}
    schema = {"type": "json_schema", "json_schema": {"name": "Out", "schema": {"type": "object"}}}
    assert prompt_tokens({**plain, "tools": [tool]}) > prompt_tokens(plain)
    assert prompt_tokens({**plain, "response_format": schema}) > prompt_tokens(plain)
    assert prompt_tokens({**plain, "response_format": {"type": "json_object"}}) == prompt_tokens(plain)
    call = {"id": "c1", "type": "function", "function": {"name": "get_purchases", "arguments": '{"user_id":"12345678"}'}}
    assert completion_tokens({"content": None, "tool_calls": [call]}) == 4 + 6
    assert completion_tokens({"content": "x" * 41}) == 11


def test_the_agent_records_what_the_fake_reports() -> None:
    usage.take()
    with FakeOpenAI() as fake:
        decide(AgentContext.model_validate(context("Where is my invoice?")))
        short = usage.take()
        decide(AgentContext.model_validate(context("Where is my invoice? " + "It was for the annual plan. " * 40)))
        long = usage.take()
        requests = fake.completions
    (model, tokens), = short.items()
    assert tokens["calls"] == 1 and tokens["prompt"] == prompt_tokens(requests[0]) > 100 and tokens["completion"] > 10
    assert long[model]["prompt"] > tokens["prompt"] + 200  # 1,100 more characters in the prompt
