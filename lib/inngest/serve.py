"""The serve endpoint's Flask app: the SDK's `inngest.flask.serve` behind a guard for malformed requests.

The SDK (inngest-py 0.5) answers 500 for any POST it cannot parse (a body that is not
JSON, 50,000 nested arrays, a missing `ctx`, an unknown `fnId`) and for a PUT whose
registration failed. To Inngest a 500 means "retry", and a malformed request never
succeeds, so the guard refuses those first, with the project's parsing layer: a
bounded body, bounded depth, finite numbers, the SDK's own request shape
(`inngest/_internal/server_lib/execution_request.py`, strict as the SDK is) and a
function we serve. The SDK still answers 500 when a verified call's step raises:
that is the protocol's "this attempt failed, retry it", not a malformed request.
A failed sync (PUT) is answered 502: Inngest, not the caller, was at fault.
"""

from __future__ import annotations

import gc
import sys
from typing import Any, Sequence

from flask import Flask, Response, request
from pydantic import BaseModel, ConfigDict

from lib.web import create_app, json_error
from lib.web.parsing import BadInput, bounded_body, loads_object, validate

# Vercel refuses request bodies over 4.5 MB before the function runs (Vercel docs, "Functions limits").
MAX_BODY_BYTES = 4_500_000


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")  # the SDK's `types.BaseModel` is strict


class _Stack(_Strict):
    stack: list[str] | None = None


class _Ctx(_Strict):
    attempt: int
    disable_immediate_execution: bool
    max_attempts: int | None = None
    run_id: str
    stack: _Stack


class _Event(_Strict):
    data: dict[str, Any] | None = None
    id: str = ""
    name: str
    ts: int = 0


class ServerRequest(_Strict):
    """The body of Inngest's POST, as the SDK's `ServerRequest` reads it."""

    ctx: _Ctx
    event: _Event
    events: list[_Event] | None = None
    steps: dict[str, Any]
    use_api: bool


def make_app(name: str, client: Any, functions: Sequence[Any], *, serve_origin: str | None = None,
             public_path: str | None = None) -> Flask:
    """A Flask app serving `functions` with `client`, malformed requests refused before the SDK sees them."""
    import inngest.flask

    app = create_app(name)
    served = _function_ids(functions, client)

    @app.before_request
    def _guard() -> Any:
        try:
            body = bounded_body(request, MAX_BODY_BYTES)
            if request.method != "POST" or request.args.get("probe") == "trust":
                return None
            fn_id = request.args.get("fnId")
            if not fn_id:
                raise BadInput("query parameter fnId is missing")
            if fn_id not in served:
                return json_error(404, f"function {fn_id[:100]!r} is not served here")
            call = validate(ServerRequest, loads_object(body), what="Inngest request")
            _check_event(call.event, served[fn_id])
        except BadInput as exc:
            return json_error(exc.status, exc.message)
        return None

    @app.after_request
    def _sync_failure_is_upstream(response: Response) -> Response:
        if request.method == "PUT" and response.status_code == 500:
            response.status_code = 502  # registering with Inngest failed: a gateway error, retry later
        return response

    app.teardown_request(_freeze_imports)
    inngest.flask.serve(app, client, list(functions), serve_origin=serve_origin, public_path=public_path)
    return app


_modules_at_freeze = 0


def _freeze_imports(_error: BaseException | None = None) -> None:
    """After a call that imported modules, move every object alive into the collector's permanent generation.

    A step's first run imports its heavy dependencies (the OpenAI SDK's types, SQLAlchemy, ...):
    objects that live as long as the instance. Left to the collector, each full collection walks
    them all: 66-128 ms pauses in the middle of later steps, measured in the serve process of the
    pipeline benchmark. `gc.freeze()` takes no time; full collections then walk only what calls
    leave behind. It runs only when `sys.modules` grew, so what it may keep that a collection
    would have freed is one call's garbage, a few times in an instance's life.
    """
    global _modules_at_freeze
    if len(sys.modules) != _modules_at_freeze:
        _modules_at_freeze = len(sys.modules)
        gc.freeze()


# What Inngest itself sends to a function besides its triggers: `step.invoke` and failure handlers.
INNGEST_EVENTS = frozenset({"inngest/function.invoked", "inngest/function.failed"})
# The event a cron-triggered run starts with (Inngest docs, "Scheduled functions": `inngest/scheduled.timer`).
CRON_EVENT = "inngest/scheduled.timer"


def _function_ids(functions: Sequence[Any], client: Any) -> dict[str, frozenset[str]]:
    """Every id the SDK would accept as `fnId` (each function, its failure handler, with or without
    the app id), with the event names that may start it."""
    served: dict[str, frozenset[str]] = {}
    for fn in functions:
        config = fn.get_config("http://localhost/api/inngest").main
        names = frozenset(t.event for t in config.triggers if getattr(t, "event", None)) | INNGEST_EVENTS
        if any(getattr(t, "cron", None) for t in config.triggers):
            names |= {CRON_EVENT}
        for fn_id in (fn.get_id(), fn.on_failure_fn_id):
            if fn_id:
                served[fn_id] = served[fn_id.removeprefix(f"{client.app_id}-")] = names
    return served


def _check_event(event: _Event, names: frozenset[str]) -> None:
    """The event must be one this function is triggered by, its data valid for the catalogue's schema.

    Otherwise the function's first `parse` raises and the SDK answers 500, which Inngest would retry
    although the run can never succeed.
    """
    from pydantic import ValidationError

    from lib.inngest.events import CATALOGUE

    if event.name not in names:
        raise BadInput(f"event {event.name[:100]!r} does not start this function")
    spec = CATALOGUE.get(event.name)
    if spec is not None:
        try:
            spec.parse(event.data or {})
        except ValidationError as exc:
            raise BadInput(f"{event.name} data is not valid: {exc.errors(include_url=False)[0]['msg']}") from None
