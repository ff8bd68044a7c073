"""Vercel Deployment Protection: letting our own automation through with *Protection Bypass for Automation*.

Preview deployments are protected by default, so Vercel's edge answers 401 to the cron's PUT and
to Inngest's calls unless they carry the project's bypass secret, which Vercel sets on every
deployment as `VERCEL_AUTOMATION_BYPASS_SECRET`. Vercel documents two ways to send it: the header
`x-vercel-protection-bypass: <secret>`, or the query parameter `x-vercel-protection-bypass=<secret>`
(docs: deployment-protection/methods-to-bypass-deployment-protection/protection-bypass-automation).
The cron's PUT uses the header; Inngest cannot be told headers, so the URL we register carries the
query parameter. The secret never goes into a log line: only `redact()`-ed URLs are shown.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Callable, Iterable

from lib import config

BYPASS_PARAM = "x-vercel-protection-bypass"
BYPASS_HEADER = "x-vercel-protection-bypass"
SERVE_PATH = "/api/inngest"


def bypass_secret() -> str | None:
    return config.env("VERCEL_AUTOMATION_BYPASS_SECRET")


def bypass_headers() -> dict[str, str]:
    """The header that lets a request through Deployment Protection (empty when no secret is set)."""
    secret = bypass_secret()
    return {BYPASS_HEADER: secret} if secret else {}


def inngest_public_path() -> str | None:
    """The public path registered with Inngest; with a bypass secret it carries the query parameter.

    inngest-py (0.5.19, `net.create_serve_url`) keeps only scheme and host of `serve_origin` and
    puts `serve_path` in verbatim, then each function's URL is that plus `"?" + fnId&stepId`.
    So the secret goes at the end of the path followed by `&`: the function URL reads
    `/api/inngest?x-vercel-protection-bypass=S&?fnId=...&stepId=...`, whose bypass parameter
    is exact for Vercel's edge; `repair_query` turns the `?fnId` key back into `fnId` for the SDK.
    """
    secret = bypass_secret()
    if not secret:
        return None
    return f"{SERVE_PATH}?{urllib.parse.urlencode({BYPASS_PARAM: secret})}&"


def clean_query(query: str) -> str:
    """The query string without the bypass parameter, with keys like `?fnId` read as `fnId`."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    kept: dict[str, str] = {}
    for key, value in pairs:
        key = key.lstrip("?")
        if key == BYPASS_PARAM:
            continue
        kept.setdefault(key, value)
    return urllib.parse.urlencode(kept)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def repair_query(app: WSGIApp) -> WSGIApp:
    """WSGI middleware for the serve endpoint: the SDK sees `fnId`/`stepId` and never the secret."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if "?" in urllib.parse.unquote(query) or BYPASS_PARAM in query:
            environ["QUERY_STRING"] = clean_query(query)
        return app(environ, start_response)

    return middleware


def redact(text: str) -> str:
    """`text` with the bypass secret replaced, for anything that may be logged or answered."""
    secret = bypass_secret()
    if not secret:
        return text
    return text.replace(secret, "[redacted]").replace(urllib.parse.quote(secret, safe=""), "[redacted]")
