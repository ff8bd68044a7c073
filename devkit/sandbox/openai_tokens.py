"""Token counts for the fake OpenAI's `usage`: a documented approximation, no tokenizer.

The real API reports per request `usage.prompt_tokens` (all the model read: the messages,
and the tool definitions and response schema, which the API renders into the prompt) and
`usage.completion_tokens` (what it wrote: the content, or the tool calls). Exact counts need
the model's BPE encoding (`o200k_base` for gpt-4.1 and gpt-4o); tiktoken downloads that file
from openaipublic.blob.core.windows.net at first use, so it does not work offline (checked:
the download fails without a network) and the fake does not use it.

The approximation, each part from OpenAI's own guidance:

- text: ceil(characters / 4) tokens ("one token generally corresponds to ~4 characters of
  text for common English text", OpenAI help center, "What are tokens and how to count them?");
- chat format: 3 tokens per message, 1 more per `name`, 3 priming the reply (the cookbook's
  `num_tokens_from_messages`, "How to count tokens with tiktoken");
- tool definitions and a `json_schema` response format: their compact JSON text as text
  (the cookbook counts function definitions field by field with model-specific constants;
  the JSON text is of the same size, a little over);
- tool calls (in the answer, and assistant turns sent back): function name + arguments as text.

It is an estimate: prose in German or French and JSON run to more tokens per 4 characters.
Benchmarks compare counts made the same way in one run (`bench/model_calls.py`), never
against a bill.
"""

from __future__ import annotations

import json
import math
from typing import Any

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _calls_tokens(calls: list[dict[str, Any]]) -> int:
    functions = [call.get("function") or {} for call in calls if isinstance(call, dict)]
    return sum(text_tokens(str(f.get("name") or "")) + text_tokens(str(f.get("arguments") or "")) for f in functions)


def prompt_tokens(body: dict[str, Any]) -> int:
    """What the API would count as read for this chat-completions request body."""
    total = REPLY_PRIMING
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "tool_calls" and isinstance(value, list):
                total += _calls_tokens(value)
            elif isinstance(value, str):
                total += text_tokens(value) + (TOKENS_PER_NAME if key == "name" else 0)
            elif isinstance(value, list):  # content parts
                total += sum(text_tokens(str(part.get("text") or "")) for part in value if isinstance(part, dict))
    for tool in body.get("tools") or []:
        total += text_tokens(_compact(tool.get("function") if isinstance(tool, dict) else tool))
    response_format = body.get("response_format") or {}
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        total += text_tokens(_compact(response_format.get("json_schema") or {}))
    return total


def completion_tokens(message: dict[str, Any]) -> int:
    """What the API would count as written for this assistant message."""
    return (_calls_tokens(message.get("tool_calls") or []) + text_tokens(message.get("content") or "")
            + text_tokens(message.get("refusal") or ""))


def usage(body: dict[str, Any], message: dict[str, Any]) -> dict[str, int]:
    """The `usage` object of a chat completion answering `body` with `message`."""
    prompt, completion = prompt_tokens(body), completion_tokens(message)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
