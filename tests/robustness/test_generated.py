"""Property-based: no generated request makes any endpoint answer 500, hang, or record anything it refused.

Requests come from the endpoint table (`endpoints.py`): any method, the endpoint's paths
and query keys, fuzzed headers and content types, and bodies that are the endpoint's own
template with one field replaced by arbitrary JSON text (wrong types, unicode, lone
surrogates, `1e999`, `NaN`, 400-digit integers, nesting thousands deep) or dropped, or
arbitrary JSON, or raw bytes; half of them signed with the configured secrets so they
reach the parsers behind the signature check. For each: not a 500 (5xx only as 502/503,
"retry later"), an answer within a few seconds, a JSON `{"error": ...}` (or the approvals
HTML page) for a 4xx, and for any refusal no database change and no event sent.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.robustness.endpoints import ENDPOINTS, FUNCTION_IDS, Endpoint

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

REQUEST_BUDGET_SECONDS = 5.0  # "no hang": a request answered later than this fails the test
MUTANT = "__mutant__"

# -- JSON text, including what json.dumps would never write ------------------------

_NASTY_NUMBERS = ["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "9" * 20, "-" + "9" * 400, "1" + "0" * 5000,
                  "1e308", "-0", "0.1e-400", "123.456"]
_NASTY_STRINGS = ['"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\ud83d\\ude00"', json.dumps("x" * 70), json.dumps("é" * 300)]
_leaves = st.one_of(
    st.sampled_from(["null", "true", "false", "0", "1", '""', "[]", "{}"] + _NASTY_NUMBERS + _NASTY_STRINGS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.text(max_size=30).map(json.dumps),
)


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def _object(pairs: dict[str, str]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs.items()) + "}"


json_text = st.recursive(
    _leaves,
    lambda children: st.one_of(st.lists(children, max_size=4).map(_array),
                               st.dictionaries(st.text(max_size=10), children, max_size=4).map(_object)),
    max_leaves=12,
)
deep_text = st.builds(
    lambda depth, kind: ("[" * depth + "]" * depth) if kind else ('{"a":' * depth + "1" + "}" * depth),
    st.integers(min_value=60, max_value=30_000), st.booleans(),
)
any_json_text = st.one_of(json_text, deep_text)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replaced(template: Any, path: tuple[Any, ...], drop: bool) -> Any:
    copy = json.loads(json.dumps(template))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if drop and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = MUTANT
    return copy


@st.composite
def bodies(draw: st.DrawFn, endpoint: Endpoint) -> bytes:
    template = endpoint.template()
    kind = draw(st.sampled_from(["mutant", "mutant", "mutant", "json", "deep", "bytes", "empty"]))
    if kind == "mutant" and _paths(template):
        path = draw(st.sampled_from(_paths(template)))
        text = json.dumps(_replaced(template, path, draw(st.booleans()))).replace(json.dumps(MUTANT), draw(any_json_text), 1)
        return endpoint.wrap(text)
    if kind in ("json", "mutant"):
        return endpoint.wrap(draw(json_text))
    if kind == "deep":
        return endpoint.wrap(draw(deep_text))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    return b""


_header_text = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40),
    st.sampled_from(["9" * 400, "1" * 25, "-1", "0", "1e999", "NaN", "v0=" + "0" * 64, "t=" + "9" * 400 + "&s=00",
                     "Bearer x", "Basic !!!", "Basic " + "QQ==" * 3]),
)


@st.composite
def requests_for(draw: st.DrawFn, endpoint: Endpoint) -> dict[str, Any]:
    method = draw(st.sampled_from(endpoint.methods * 6 + ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")))
    path = draw(st.sampled_from(endpoint.paths))
    if "{any}" in path:
        path = path.replace("{any}", quote(draw(st.text(min_size=1, max_size=80)), safe=""))
    query = {}
    if endpoint.query_keys:
        values = st.one_of(_header_text, st.sampled_from(FUNCTION_IDS))
        query = draw(st.dictionaries(st.sampled_from(endpoint.query_keys), values, max_size=3))
    headers = {name: draw(_header_text) for name in endpoint.headers if draw(st.booleans())}
    body = draw(bodies(endpoint))
    content_type = draw(st.sampled_from([endpoint.content_type, endpoint.content_type, "application/json",
                                         "application/x-www-form-urlencoded", "text/plain",
                                         "multipart/form-data; boundary=x", ""]))
    if endpoint.sign is not None and draw(st.sampled_from([True, True, True, False])):  # most reach the parsers
        headers = endpoint.sign(body, headers)
    return {"method": method, "path": path + ("?" + urlencode(query) if query else ""), "headers": headers,
            "data": body, "content_type": content_type}


# -- what must hold ----------------------------------------------------------------


def _snapshot() -> tuple[Any, ...]:
    from sqlalchemy import func, select

    from lib.db import get_db
    from lib.db.models import Action, ApprovalRequest, AuditLog, ProcessedWebhook

    with get_db().session() as session:
        return (
            session.scalar(select(func.count()).select_from(ProcessedWebhook)),
            session.scalar(select(func.count()).select_from(AuditLog)),
            tuple(session.execute(select(ApprovalRequest.action_id, ApprovalRequest.status, ApprovalRequest.decided_by))),
            tuple(session.execute(select(Action.id, Action.status))),
        )


_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="robust-request")


def _send(endpoint: Endpoint, request: dict[str, Any]) -> Any:
    client = endpoint.app().test_client()
    future = _pool.submit(lambda: client.open(request["path"], method=request["method"], headers=request["headers"],
                                              data=request["data"], content_type=request["content_type"] or None))
    return future.result(timeout=REQUEST_BUDGET_SECONDS)  # TimeoutError: the endpoint hung


def check(endpoint: Endpoint, request: dict[str, Any], sink: Any) -> None:
    before, sent_before = _snapshot(), len(sink.events)
    response = _send(endpoint, request)
    status = response.status_code
    assert status != 500 and status < 600, f"{endpoint.name} answered {status}: {response.get_data()[:300]!r}"
    assert status < 500 or status in (502, 503), f"{endpoint.name} answered {status}"
    if 400 <= status < 500 and endpoint.json_errors and response.mimetype != "text/html" and request["method"] != "HEAD":
        assert isinstance(response.get_json(silent=True), dict) and "error" in response.json, response.get_data()[:300]
    if status >= 400:
        assert _snapshot() == before, f"{endpoint.name} refused ({status}) but changed the database"
        assert len(sink.events) == sent_before, f"{endpoint.name} refused ({status}) but sent an event"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_no_generated_request_breaks_an_endpoint(endpoint: Endpoint, world: Any) -> None:
    @given(requests_for(endpoint))
    def run(request: dict[str, Any]) -> None:
        check(endpoint, request, world)

    run()
