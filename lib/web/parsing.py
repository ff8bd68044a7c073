"""The one request-parsing layer every endpoint uses: bounded size, bounded depth, finite numbers, typed fields.

Anything an endpoint reads from a request goes through here, so a body that is not
what the endpoint expects becomes `BadInput` (a 4xx with a reason) before any work:
never a `RecursionError` from 50,000 nested arrays, an `inf` from `1e999` that a
client later refuses to serialise, a 5,000-digit integer, a lone surrogate that no
database or HTTP client can encode, or an `AttributeError` from a number where a
string was expected. A malformed delivery can never succeed, so it must be a 4xx:
senders (Front, Slack) stop retrying it; 5xx stays "retry later".

Pure Python and pydantic: cheap to import from the webhook functions.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

MAX_DEPTH = 64  # Front, Slack and Inngest payloads nest well under 20 levels
MAX_INT = 2**63  # every integer we read (timestamps, amounts, attempts) fits a signed 64-bit column
MAX_HEADER_CHARS = 1024

M = TypeVar("M", bound=BaseModel)


class BadInput(Exception):
    """A request the endpoint refuses; `status` is the 4xx to answer, `message` says why (never echoes secrets)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- size -----------------------------------------------------------------------


def bounded_body(request: Any, limit: int) -> bytes:
    """The raw body, or `BadInput(413)` when it is larger than `limit` (chunked bodies too).

    A Content-Length over the limit is refused by Werkzeug (413); a streamed body is only
    cut off at the limit, so one byte more is read to tell it was too long.
    """
    request.max_content_length = limit + 1
    body: bytes = request.get_data(cache=True)
    if len(body) > limit:
        raise BadInput(f"body larger than {limit} bytes", 413)
    return body


def webhook_body(request: Any) -> bytes:
    """A webhook's raw body under `MAX_WEBHOOK_BYTES`; `BadInput(413)` naming the setting otherwise."""
    from lib import config

    limit = config.env_int("MAX_WEBHOOK_BYTES")
    try:
        return bounded_body(request, limit)
    except BadInput:
        raise BadInput(f"body larger than MAX_WEBHOOK_BYTES ({limit} bytes)", 413) from None


# -- JSON -----------------------------------------------------------------------

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]", re.ASCII)


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep a parsed JSON value's arrays/objects nest; stops counting past `limit`.

    Checked on the parsed value, not the raw text: `json.loads` guards its own recursion
    (a `RecursionError` near the interpreter's limit, about 1,000 levels, caught in `loads`),
    and a walk over the containers is cheap where a scan of the text has to step over every
    string (a 4 MiB Inngest step state: about 2 ms against 12 ms; `bench/serve_body.py`).
    """
    deepest = 0
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return deepest


def _refuse_constant(name: str) -> Any:
    raise BadInput(f"JSON number {name} is not allowed (finite numbers only)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput(f"JSON number {text[:40]} is out of range (finite numbers only)")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19:
        raise BadInput(f"JSON integer of {len(text)} digits is out of range")
    value = int(text)
    if not -MAX_INT <= value < MAX_INT:
        raise BadInput(f"JSON integer {text} is out of range")
    return value


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text under every bound above; `BadInput(400)` for anything else. Never raises anything else."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    too_deep = BadInput(f"JSON nests deeper than {max_depth} levels")
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except BadInput:
        raise
    except RecursionError:  # the parser's own guard: 50,000 nested arrays stop here, at about 1,000 levels
        raise too_deep from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BadInput(f"body is not valid JSON: {str(exc)[:200]}") from None
    if nesting_depth(value, max_depth) > max_depth:
        raise too_deep
    if _SURROGATE_ESCAPE.search(data):
        _check_encodable(value)
    return value


def _check_encodable(value: Any) -> None:
    """Refuse lone surrogates (`"\\ud800"`): valid JSON, but no database or HTTP client can encode them."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadInput("JSON string holds a lone surrogate (not valid Unicode)") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads_object(raw: bytes | str, *, what: str = "body") -> dict[str, Any]:
    value = loads(raw)
    if not isinstance(value, dict):
        raise BadInput(f"{what} must be a JSON object")
    return value


# -- typed fields ---------------------------------------------------------------


def validate(model: type[M], data: Any, *, what: str = "body") -> M:
    """`data` as `model`, or `BadInput(400)` naming the first fields that are wrong (types included)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or what}: {err['msg']}" for err in exc.errors(include_url=False)[:3]
        )
        raise BadInput(f"{what} is not what this endpoint expects: {problems}") from None
    except RecursionError:  # unreachable after `loads`, kept so a hand-built value cannot escape as a 500
        raise BadInput(f"{what} nests too deeply") from None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's stripped value (None when absent or blank); `BadInput(400)` when absurdly long."""
    value = headers.get(name)
    if value is None:  # plain dicts in tests may not be case-insensitive
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    if value is None or not value.strip():
        return None
    if len(value) > MAX_HEADER_CHARS:
        raise BadInput(f"header {name} is longer than {MAX_HEADER_CHARS} characters")
    return value.strip()


def digits(value: str | None, *, max_digits: int) -> int | None:
    """A header that must be a plain non-negative integer (a timestamp): its value, or None when it is not one.

    Never `int()` on unchecked text: 400 digits overflow a float, 5,000 hit Python's int limit.
    """
    if value is None or not value.isascii() or not value.isdigit() or len(value) > max_digits:
        return None
    return int(value)
