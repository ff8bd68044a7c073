"""Registering our functions with Inngest by PUTting our own serve endpoint.

Vercel's cron calls this every five minutes so a deployment's functions stay
registered even when nobody redeploys; locally the same PUT registers with the
offline executor. On a protected deployment the PUT carries Vercel's bypass header
(`lib.vercel`), or Vercel's edge would answer 401 before our function runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests

from lib import config, vercel

TIMEOUT_SECONDS = 20


@dataclass
class SyncResult:
    url: str
    ok: bool
    status: int | None = None
    body: Any = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url, "ok": self.ok, "status": self.status}
        if self.body is not None:
            out["response"] = self.body
        if self.error:
            out["error"] = self.error
        return json.loads(vercel.redact(json.dumps(out)))  # the cron's answer never shows the bypass secret


def sync_app(url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> SyncResult:
    url = url or config.sync_url()
    try:
        response = requests.put(url, headers=vercel.bypass_headers(), timeout=timeout)
    except requests.RequestException as exc:
        return SyncResult(url=url, ok=False, error=vercel.redact(f"{type(exc).__name__}: {exc}"))
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:500]
    reason = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
    if response.status_code >= 400:
        return SyncResult(
            url=url,
            ok=False,
            status=response.status_code,
            body=body,
            error=f"serve endpoint answered {response.status_code}" + (f": {reason}" if reason else ""),
        )
    if isinstance(body, dict) and body.get("error"):
        # The SDK answers 200 even when Inngest refused the registration (e.g. a signing key mismatch).
        return SyncResult(url=url, ok=False, status=response.status_code, body=body, error=f"registration refused: {body['error']}")
    return SyncResult(url=url, ok=True, status=response.status_code, body=body)
