"""A fake OpenAI-compatible chat-completions API on 127.0.0.1, for the real `openai` SDK to talk to.

    with FakeOpenAI() as fake:                 # sets OPENAI_API_KEY/OPENAI_BASE_URL, resets the client
        fake.script(tool_call("lookup_user", {"email": "a@b.c"}), final(reasoning="...", action=None, draft="Hi"))
        decide(context)
        assert fake.requests[1]["messages"][-1]["role"] == "tool"

Answers come from the script queue (`script`), first in first out; with the queue
empty a small default "brain" answers, so whole-pipeline tests need no scripting:
if the latest customer message mentions a refund it calls `lookup_user`, then
`get_purchases`, then proposes a refund of the first purchase; otherwise it
answers with a plain reply and no action.

Failures: `fail_next(status, times)` answers the next `times` requests with that
status (with `retry-after-ms: 1` so the SDK's retries are quick), and
`hang(seconds, times)` holds requests that long (to trip the client timeout).
`delay` (seconds, default 0) makes every answer wait that long, for benchmarks.
Every request body is kept in `requests`, its headers in `headers`. Each answer's `usage`
estimates the tokens read and written the way the API counts them (`openai_tokens.py`).

Request checks, answered 400 with OpenAI's error body `{"error": {message, type, param, code}}`
before any model runs (see `check_request`): strict schemas (`devkit/sandbox/openai_schema.py`),
and `parallel_tool_calls` without tools. With `parallel_tool_calls: false` the fake, like the model,
makes at most one tool call per turn; with parallel calls on (the API's default) it makes them all in
one turn and, as OpenAI documents for strict tools, the parallel ones need not match their schema.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from types import TracebackType
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from devkit.sandbox.openai_schema import SchemaError, check_strict_schema
from devkit.sandbox.openai_tokens import usage
from devkit.sandbox.server import EnvSwap, LocalServer

API_KEY = "sk-test-fake"


def tool_call(name: str, arguments: dict[str, Any] | str, call_id: str | None = None) -> dict[str, Any]:
    """A scripted answer: the assistant calls one tool (`arguments` may be raw text, to test bad JSON)."""
    return {"tool_calls": [(name, arguments, call_id)]}


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A scripted answer: several tool calls in one turn."""
    return {"tool_calls": [(name, args, None) for name, args in calls]}


def final(
    *,
    reasoning: str = "scripted",
    action: dict[str, Any] | None = None,
    draft: str | None = "Hi,\n\nThanks for writing in.",
    **extra: Any,
) -> dict[str, Any]:
    """A scripted final answer in the agent's output schema; `action` is {"type", "parameters": {...}}.

    Missing action parameters are filled with null, as a strict-schema model would; `extra` adds
    keys outside the schema (e.g. a model trying `requires_approval: false`).
    """
    if action is not None:
        params = {k: None for k in ("purchase_id", "amount", "reason", "from_email", "to_email", "email")}
        params.update(action.get("parameters") or {})
        action = {"type": action["type"], "parameters": params}
    # `category` and `confidence` are required by the strict schema, so a strict-mode model always writes them.
    fields = {"reasoning": reasoning, "action": action, "draft_response": draft, "category": "other", "confidence": 0.5}
    return {"content": json.dumps({**fields, **extra})}


def content(text: str) -> dict[str, Any]:
    """A scripted answer with this raw message content (e.g. invalid JSON)."""
    return {"content": text}


def refusal(text: str = "I can't help with that.") -> dict[str, Any]:
    return {"refusal": text}


class FakeOpenAI:
    """Scriptable `/v1/chat/completions`; records requests."""

    def __init__(self, *, api_key: str = API_KEY, max_retries: int = 2, timeout: float | None = None) -> None:
        self.api_key = api_key
        self.max_retries = max_retries
        self.timeout = timeout
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: list[dict[str, Any]] = []
        self._failures: list[list[int]] = []  # [status, remaining]
        self._hangs: list[list[float]] = []  # [seconds, remaining]
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._ids = itertools.count(1)
        self._server = LocalServer(self._make_app())
        self._env = EnvSwap()

    # --- scripting ------------------------------------------------------------------------------

    def script(self, *answers: dict[str, Any]) -> None:
        with self._lock:
            self._queue.extend(answers)

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._failures.append([status, times])

    def hang(self, seconds: float = 30.0, times: int = 1) -> None:
        with self._lock:
            self._hangs.append([seconds, times])

    @property
    def completions(self) -> list[dict[str, Any]]:
        """Requests that reached the model (not answered by a scripted failure or hang)."""
        return [r for r in self.requests if not r.get("_failed")]

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def base_url(self) -> str:
        return f"{self._server.url}/v1"

    def start(self) -> "FakeOpenAI":
        """Serve and point the agent at it (environment restored by `stop`)."""
        self._server.start()
        self._env.set({"OPENAI_API_KEY": self.api_key, "OPENAI_BASE_URL": self.base_url, "OPENAI_MAX_RETRIES": str(self.max_retries)})
        if self.timeout is not None:
            self._env.set({"OPENAI_TIMEOUT_SECONDS": str(self.timeout)})
        _reset_client()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.stop()
        self._env.restore()
        _reset_client()

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self.stop()

    # --- the API --------------------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("fake-openai")

        @app.post("/v1/chat/completions")
        def chat_completions() -> ResponseReturnValue:
            body = request.get_json(force=True, silent=True)
            if not isinstance(body, dict):
                return _error(400, "invalid JSON body")
            with self._lock:
                self.requests.append(body)
                self.headers.append(dict(request.headers))
            if request.headers.get("Authorization") != f"Bearer {self.api_key}":
                body["_failed"] = True
                return _error(401, "Incorrect API key provided", "invalid_api_key")
            refused = check_request(body)
            if refused is not None:  # a 400 comes before the model runs, scripted failures included
                body["_failed"] = True
                message, param, code = refused
                return _error(400, message, code, param=param)
            with self._lock:
                hang = _take(self._hangs)
                failure = _take(self._failures)
            if hang is not None:
                body["_failed"] = True
                self._released.wait(hang)
                return _error(504, "hung")
            if failure is not None:
                body["_failed"] = True
                return _error(int(failure), "scripted failure", headers={"retry-after-ms": "1"})
            if self.delay > 0:
                self._released.wait(self.delay)
            with self._lock:
                answer = self._queue.pop(0) if self._queue else None
            if answer is None:
                answer = default_brain(body)
            calls = answer.get("tool_calls") or []
            if body.get("parallel_tool_calls") is False and len(calls) > 1:
                # One call per turn, as the model does with parallel calls off: the rest come in later turns.
                with self._lock:
                    self._queue[:0] = [{"tool_calls": [call]} for call in calls[1:]]
                answer = {"tool_calls": calls[:1]}
            elif len(calls) > 1 and _has_strict_tools(body):
                answer = {**answer, "tool_calls": [calls[0], *(_off_schema(call) for call in calls[1:])]}
            return jsonify(self._completion(body, answer))

        return app

    def _completion(self, body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish = "stop"
        if "tool_calls" in answer:
            message["tool_calls"] = [
                {
                    "id": call_id or f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
                }
                for name, args, call_id in answer["tool_calls"]
            ]
            finish = "tool_calls"
        elif "refusal" in answer:
            message["refusal"] = answer["refusal"]
        else:
            message["content"] = answer["content"]
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "unknown"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage(body, message),  # estimated as the API counts them (devkit/sandbox/openai_tokens.py)
        }


def route_answer(route: str = "respond", category: str = "question", reason: str = "fake router") -> dict[str, Any]:
    """A scripted answer of the routing classifier (lib.routing.classifier.RouteOutput)."""
    return {"content": json.dumps({"route": route, "category": category, "reason": reason})}


def default_brain(body: dict[str, Any]) -> dict[str, Any]:
    """Refund requests: lookup_user -> get_purchases -> refund of the first purchase. Anything else: a plain reply.

    A routing classifier request (response format `RouteOutput`) gets `respond`: the rules
    already took what is obviously automatic.
    """
    from lib.agent.prompts import parse_user_prompt

    if ((body.get("response_format") or {}).get("json_schema") or {}).get("name") == "RouteOutput":
        return route_answer()

    messages = body.get("messages") or []
    document = next(
        (parse_user_prompt(m["content"]) for m in messages if m.get("role") == "user" and isinstance(m.get("content"), str)),
        None,
    ) or {}
    latest = document.get("latest_message") or {}
    text = f"{latest.get('subject') or ''} {latest.get('body') or ''}".lower()
    if "refund" not in text:
        return final(reasoning="fake brain: not a refund request", draft="Hi,\n\nThanks for your message. We'll look into it and get back to you.")

    results = {}
    for m in messages:
        for call in m.get("tool_calls") or []:
            results.setdefault(call["function"]["name"], call["id"])
    by_id = {m.get("tool_call_id"): json.loads(m.get("content") or "{}") for m in messages if m.get("role") == "tool"}
    if "lookup_user" not in results:
        return tool_call("lookup_user", {"email": latest.get("sender_email") or ""})
    user = (by_id.get(results["lookup_user"]) or {}).get("result")
    if user and "get_purchases" not in results:
        return tool_call("get_purchases", {"user_id": str(user.get("id"))})
    purchases = (by_id.get(results.get("get_purchases")) or {}).get("result") or []
    if not purchases:
        return final(reasoning="fake brain: refund request but no purchases found", draft="Hi,\n\nWhich order would you like refunded?",
                     category="refund", confidence=0.6)
    first = purchases[0]
    return final(
        reasoning=f"fake brain: the customer asked for a refund of purchase {first.get('id')}",
        action={"type": "refund", "parameters": {"purchase_id": str(first.get("id")), "reason": "customer asked for a refund"}},
        draft=f"Hi,\n\nWe've requested a refund for {first.get('product') or 'your purchase'}; we'll confirm once it's processed.",
        category="refund",
        confidence=0.8,
    )


def _take(items: list[list[Any]]) -> Any:
    """Consume one use of the first scripted failure/hang; its value, or None."""
    while items and items[0][1] <= 0:
        items.pop(0)
    if not items:
        return None
    items[0][1] -= 1
    return items[0][0]


def check_request(body: dict[str, Any]) -> tuple[str, str | None, str | None] | None:
    """(message, param, code) of the 400 the API gives this chat-completions body, or None when it is accepted.

    - `parallel_tool_calls` without `tools`: the API's own 400, "Invalid value for 'parallel_tool_calls':
      'parallel_tool_calls' is only allowed when 'tools' are specified." (quoted in Upsonic/Upsonic#323).
    - A strict function tool or a strict `json_schema` response format whose schema strict mode cannot
      take: the API's 400 (`devkit/sandbox/openai_schema.py` has the rules and their sources).

    Strict function tools without `parallel_tool_calls: false` are accepted, as the API accepts them;
    what goes wrong is the answer (see `_off_schema`).
    """
    tools = body.get("tools") or []
    if "parallel_tool_calls" in body and not tools:
        return (
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.",
            "parallel_tool_calls",
            None,
        )
    for i, tool in enumerate(tools):
        function = tool.get("function") or {} if isinstance(tool, dict) else {}
        if function.get("strict") is True:
            try:
                check_strict_schema(function.get("parameters"))
            except SchemaError as exc:
                return f"Invalid schema for function '{function.get('name')}': {exc.detail}", f"tools[{i}].function.parameters", "invalid_function_parameters"
    response_format = body.get("response_format") or {}
    schema_format = response_format.get("json_schema") or {} if response_format.get("type") == "json_schema" else {}
    if schema_format.get("strict") is True:
        try:
            check_strict_schema(schema_format.get("schema"))
        except SchemaError as exc:
            return f"Invalid schema for response_format '{schema_format.get('name')}': {exc.detail}", "response_format", None
    return None


def _error(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None, *, param: str | None = None
) -> ResponseReturnValue:
    payload = {"error": {"message": message, "type": "server_error" if status >= 500 else "invalid_request_error", "param": param, "code": code}}
    return jsonify(payload), status, headers or {}


def _reset_client() -> None:
    from lib.agent.openai_agent import reset_openai

    reset_openai()


def _has_strict_tools(body: dict[str, Any]) -> bool:
    return any(isinstance(tool, dict) and (tool.get("function") or {}).get("strict") is True for tool in body.get("tools") or [])


def _off_schema(call: tuple[str, Any, str | None]) -> tuple[str, str, str | None]:
    """A parallel call to a strict tool, as the model may make it: arguments outside the schema.

    OpenAI: "Structured Outputs is not compatible with parallel function calls. When a parallel
    function call is generated, it may not match supplied schemas. Set parallel_tool_calls: false to
    disable parallel function calling." (https://openai.com/index/introducing-structured-outputs-in-the-api/,
    "Limitations"; the function-calling guide says the same). The fake makes that "may" happen every
    time: each parallel call after the first carries a property its schema forbids.
    """
    name, args, call_id = call
    try:
        arguments = json.loads(args) if isinstance(args, str) else dict(args)
    except (ValueError, TypeError):
        arguments = {}
    if isinstance(arguments, dict):
        arguments["unexpected_parallel_field"] = True
    return name, json.dumps(arguments), call_id
