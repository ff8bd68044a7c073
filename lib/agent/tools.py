"""The model's function tools: read-only lookups, executed here with results sent back to the model.

Tools that would change something (refunds, transfers, links) do not exist: the
model proposes an action in its final answer and the workflow carries it out
after the policy (and maybe a human) allowed it. Lookups that concern the
customer already in the context are answered from it, without a second request
to the app; other emails go to the app integration. A failing lookup becomes an
`{"error": ...}` result for the model to work around, never a crash.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any, Callable

from pydantic import BaseModel, Field, ValidationError

from lib.agent.models import AgentContext

logger = logging.getLogger("support.agent")

MAX_RESULT_CHARS = 12_000
MAX_HISTORY = 30


class LookupUser(BaseModel):
    """Find a user of the app by email: their id, name and account details, or null if unknown."""

    email: str = Field(description="the email address to look up")


class GetPurchases(BaseModel):
    """List a user's purchases (id, product, amount in cents, currency, purchased_at)."""

    user_id: str = Field(description="the user id returned by lookup_user")


class GetConversationHistory(BaseModel):
    """Read the earlier messages of this conversation, oldest first."""

    limit: int | None = Field(description="how many of the latest messages to return; null for all (at most 30)")


TOOL_MODELS: dict[str, type[BaseModel]] = {
    "lookup_user": LookupUser,
    "get_purchases": GetPurchases,
    "get_conversation_history": GetConversationHistory,
}


def tool_params() -> list[Any]:
    """The tools as chat-completions parameters (strict JSON schemas from the models above).

    Built once per process: the schemas never change, and building them (pydantic's JSON
    schema, made strict by the SDK) cost about a millisecond per tool on every agent request.
    A fresh list each call, so a caller may add to it; the SDK only reads the tools.
    """
    return list(_tool_params())


@functools.cache
def _tool_params() -> tuple[Any, ...]:
    import openai

    return tuple(openai.pydantic_function_tool(model, name=name, description=model.__doc__) for name, model in TOOL_MODELS.items())


def execute(name: str, arguments: str | None, context: AgentContext) -> str:
    """Run one tool call; the JSON string result (or error) goes back to the model as the tool message."""
    model = TOOL_MODELS.get(name)
    if model is None:
        return _dump({"error": f"unknown tool {name!r}; available: {', '.join(TOOL_MODELS)}"})
    try:
        args = model.model_validate_json(arguments or "{}")
    except ValidationError as exc:
        return _dump({"error": f"invalid arguments for {name}: {exc.errors(include_url=False)}"})
    runner: Callable[[Any, AgentContext], Any] = _RUNNERS[name]
    try:
        return _dump({"result": runner(args, context)})
    except Exception as exc:  # noqa: BLE001 - the model gets the failure and answers with what it has
        logger.warning("agent tool %s failed: %s: %s", name, type(exc).__name__, exc)
        return _dump({"error": f"{name} failed: {type(exc).__name__}: {exc}"})


def _lookup_user(args: LookupUser, context: AgentContext) -> dict[str, Any] | None:
    customer = context.customer
    if customer and customer.source == "integration" and customer.user and _same(customer.user.get("email"), args.email):
        return customer.user
    return _integration(context).lookup_user(args.email)


def _get_purchases(args: GetPurchases, context: AgentContext) -> list[dict[str, Any]]:
    customer = context.customer
    if customer and customer.source == "integration" and customer.user and str(customer.user.get("id")) == args.user_id:
        return customer.purchases
    return list(_integration(context).get_purchases(args.user_id))


def _history(args: GetConversationHistory, context: AgentContext) -> list[dict[str, Any]]:
    limit = max(1, min(args.limit or MAX_HISTORY, MAX_HISTORY))
    return [m.model_dump() for m in context.messages[-limit:]]


def _integration(context: AgentContext) -> Any:
    if not context.app.integration_url:
        raise LookupError(f"app {context.app.slug!r} has no integration to ask; use the customer data you were given")
    from lib.apps.integration import IntegrationClient
    from lib.apps.registry import get_app

    return IntegrationClient(get_app(context.app.slug))


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().lower() == b.strip().lower())


def _dump(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > MAX_RESULT_CHARS:
        text = json.dumps({"error": f"result too large ({len(text)} characters); ask for less", "truncated": text[:2000]})
    return text


_RUNNERS: dict[str, Callable[[Any, AgentContext], Any]] = {
    "lookup_user": _lookup_user,
    "get_purchases": _get_purchases,
    "get_conversation_history": _history,
}
