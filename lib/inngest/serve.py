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


def make_app(name: str, client: Any, functions: Sequence[Any], *, serve_origin: str | None = None) -> Flask:
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
            validate(ServerRequest, loads_object(body), what="Inngest request")
        except BadInput as exc:
            return json_error(exc.status, exc.message)
        return None

    @app.after_request
    def _sync_failure_is_upstream(response: Response) -> Response:
        if request.method == "PUT" and response.status_code == 500:
            response.status_code = 502  # registering with Inngest failed: a gateway error, retry later
        return response

    inngest.flask.serve(app, client, list(functions), serve_origin=serve_origin)
    return app


def _function_ids(functions: Sequence[Any], client: Any) -> frozenset[str]:
    """Every id the SDK would accept as `fnId`: each function, its failure handler, with or without the app id."""
    ids: set[str] = set()
    for fn in functions:
        for fn_id in (fn.get_id(), fn.on_failure_fn_id):
            if fn_id:
                ids.add(fn_id)
                ids.add(fn_id.removeprefix(f"{client.app_id}-"))
    return frozenset(ids)
