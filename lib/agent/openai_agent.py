"""The OpenAI agent: chat completions with read-only tools, a bounded number of tool rounds, structured output.

Reliability comes from the SDK: each request has `OPENAI_TIMEOUT_SECONDS` and is
retried `OPENAI_MAX_RETRIES` times on connection errors, 408/409/429 and 5xx
(honouring `Retry-After`). When that is spent, or the model's answer is still
invalid after one repair request, `AgentUnavailable` is raised: the Inngest step
retries, and after its last retry the run hands the conversation to a human.
The whole run also has a time budget (`RUN_BUDGET_SECONDS`) that keeps it
inside the serve function's limit. There is no fallback to the offline rules
here (see `lib.agent`).

The final answer is parsed against the strict JSON schema of `ModelOutput`
(`lib.agent.structured`: the format built once, the content read as the SDK reads it),
which has no approval field; the policy decides
approval afterwards. Tools are strict too, so parallel tool calls are off (the
model makes at most one call per turn).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lib import config
from lib.lazy import lazy
from lib.agent import AgentUnavailable, prompts, structured, tools
from lib.agent.models import AgentContext, AgentProposal, ModelOutput

if TYPE_CHECKING:
    from openai import OpenAI

logger = logging.getLogger("support.agent")

MAX_TOOL_ROUNDS = 4  # rounds of tool calls before the model must answer
MAX_TOOL_CALLS_PER_ROUND = 8  # a guard only: with parallel calls off the model makes one
# The whole run must end well inside the serve function's 300 s limit (vercel.json), however many
# rounds and retries it takes: each request's timeout is cut to its share of what is left.
RUN_BUDGET_SECONDS = 240.0



def settings() -> tuple[str, str | None, float, int]:
    """(api key, base URL, timeout seconds, max retries) from the environment, validated."""
    key = config.require("OPENAI_API_KEY", "the OpenAI agent needs it (unset it to use the offline agent)")
    raw_timeout = config.require("OPENAI_TIMEOUT_SECONDS", "it bounds each request")
    try:
        timeout = float(raw_timeout)
    except ValueError as exc:
        raise ValueError(f"OPENAI_TIMEOUT_SECONDS must be a number of seconds, got {raw_timeout!r}") from exc
    if timeout <= 0:
        raise ValueError(f"OPENAI_TIMEOUT_SECONDS must be positive, got {raw_timeout!r}")
    retries = config.env_int("OPENAI_MAX_RETRIES")
    if retries < 0:
        raise ValueError(f"OPENAI_MAX_RETRIES must be 0 or more, got {retries}")
    return key, config.env("OPENAI_BASE_URL"), timeout, retries


@lazy(close=lambda client: client.close())
def get_openai() -> "OpenAI":
    """The OpenAI client (the agent's and the routing classifier's), made at first use from the validated settings."""
    from openai import OpenAI

    key, base_url, timeout, retries = settings()
    return OpenAI(api_key=key, base_url=base_url, timeout=timeout, max_retries=retries)


reset_openai = get_openai.reset  # tests change the settings between cases


def model_name() -> str:
    return config.require("OPENAI_MODEL", "it names the agent's model")


def run(context: AgentContext) -> AgentProposal:
    """Ask the model, running its tool calls, until it gives a valid final answer. Raises `AgentUnavailable`."""
    import openai

    client = get_openai()
    _, _, timeout, retries = settings()
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    model = model_name()
    tool_params = tools.tool_params()
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": prompts.system_prompt(context)},
        {"role": "user", "content": prompts.user_prompt(context)},
    ]
    rounds = 0
    repaired = False
    while True:
        allow_tools = rounds < MAX_TOOL_ROUNDS
        problem: str
        remaining = deadline - time.monotonic()
        if remaining <= 1:
            raise AgentUnavailable(f"the agent ran out of its {RUN_BUDGET_SECONDS:.0f} s budget after {rounds} tool rounds")
        try:
            completion = client.chat.completions.parse(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                tools=tool_params,
                tool_choice="auto" if allow_tools else "none",
                # Strict tools and parallel calls do not mix: "Structured Outputs is not compatible with
                # parallel function calls. When a parallel function call is generated, it may not match
                # supplied schemas." (OpenAI, Structured Outputs limitations). One call per turn keeps
                # every call inside its schema.
                parallel_tool_calls=False,
                response_format=structured.response_format(ModelOutput),
                timeout=min(timeout, remaining / (retries + 1)),
            )
        except ValidationError as exc:
            problem = f"it did not match the schema ({_summary(exc)})"
        except openai.APIError as exc:
            raise AgentUnavailable(f"OpenAI request failed after the SDK's retries: {type(exc).__name__}: {exc}") from exc
        except openai.OpenAIError as exc:  # length or content-filter stops: no usable answer
            raise AgentUnavailable(f"OpenAI gave no usable answer: {type(exc).__name__}: {exc}") from exc
        else:
            from lib.agent import usage

            usage.record(model, completion.usage)
            if not completion.choices:
                problem = "it had no choices"
            else:
                message = completion.choices[0].message
                calls = [c for c in (message.tool_calls or []) if getattr(c, "type", "function") == "function"]
                if calls and allow_tools:
                    messages.append(_assistant_turn(message.content, calls[:MAX_TOOL_CALLS_PER_ROUND]))
                    for call in calls[:MAX_TOOL_CALLS_PER_ROUND]:
                        result = tools.execute(call.function.name, call.function.arguments, context)
                        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
                    rounds += 1
                    continue
                if calls:
                    raise AgentUnavailable(f"the model kept calling tools after {MAX_TOOL_ROUNDS} rounds")
                try:
                    output = structured.parsed_output(ModelOutput, message)
                except ValidationError as exc:
                    problem = f"it did not match the schema ({_summary(exc)})"
                else:
                    if output is not None:
                        return output.to_proposal()
                    problem = f"the model refused: {message.refusal}" if message.refusal else "it was empty"
        if repaired:
            raise AgentUnavailable(f"the model's answer was invalid twice; last time {problem}")
        repaired = True
        logger.warning("agent answer invalid (%s); asking once more", problem)
        messages.append({"role": "user", "content": prompts.REPAIR.format(error=problem)})


def _assistant_turn(content: str | None, calls: list[Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in calls
        ],
    }


def _summary(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors(include_url=False)[:5]]
    return "; ".join(parts)
