"""One request to the function's serve URL, the way Inngest makes it (signed when a key is set)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from devkit.executor.core import CallPlan, Outcome
from devkit.executor.signing import sign

REQUEST_TIMEOUT_SECONDS = 330.0  # longer than Vercel's 300 s function limit


def target_url(url: str, function_id: str, step_id: str | None) -> str:
    """The registered URL with `fnId` and `stepId` (`step` = no particular step)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["fnId"] = query.get("fnId") or function_id
    query["stepId"] = step_id or "step"
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def call(session: Any, plan: CallPlan, *, signing_key: str | None, timeout: float = REQUEST_TIMEOUT_SECONDS) -> Outcome:
    """POST the run's state; a connection error or timeout is an Outcome with no status."""
    import requests

    body = json.dumps(plan.body, separators=(",", ":")).encode()
    headers = {
        "content-type": "application/json",
        "x-inngest-server-kind": "cloud" if signing_key else "dev",
        "x-inngest-req-version": "1",
        "x-request-id": f"{plan.run_id}-{plan.job_id}",
        "user-agent": "support-workflows-offline-executor",
    }
    if signing_key:
        headers["x-inngest-signature"] = sign(body, signing_key)
    try:
        response = session.post(target_url(plan.url, plan.function_id, plan.step_id), data=body, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        return Outcome(status=None, error=f"{type(exc).__name__}: {exc}")
    try:
        parsed: Any = response.json()
    except ValueError:
        parsed = response.text[:2000]
    headers = {k.lower(): v for k, v in response.headers.items()}
    if response.status_code == 201:
        return _streamed(parsed, headers)
    return Outcome(status=response.status_code, body=parsed, headers=headers)


def _streamed(envelope: Any, headers: dict[str, str]) -> Outcome:
    """A streamed answer: 201, keepalive spaces, then `{"body": <JSON text>, "headers", "status"}`
    (inngest-py comm_lib/models.py `create_streaming`); the envelope carries the real answer."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("status"), int):
        return Outcome(status=201, body=envelope, headers=headers, error="malformed streamed answer")
    body: Any = envelope.get("body")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            pass
    inner = {str(k).lower(): str(v) for k, v in (envelope.get("headers") or {}).items()}
    return Outcome(status=envelope["status"], body=body, headers={**headers, **inner})
