"""The small HTML runs page: recent runs, each with its steps, outputs and errors."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import escape

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.Completed{color:#186a3b}.Failed{color:#b03a2e}.Cancelled{color:#7f8c8d}.Running{color:#1f618d}
pre{margin:0;white-space:pre-wrap;max-width:50rem;font-size:.85em}
"""


def _json(value: Any) -> str:
    if value is None:
        return ""
    return str(escape(json.dumps(value, indent=1, default=str)[:4000]))


def _next(run: dict[str, Any]) -> str:
    """When the run goes on by itself: its earliest scheduled job."""
    jobs = run.get("scheduled") or []
    if not jobs:
        return ""
    job = jobs[0]
    return f"<br><small>next: {escape(job['kind'])} at {escape(job['due_at'] or '')}</small>"


def runs_page(runs: list[dict[str, Any]], functions: list[dict[str, Any]]) -> str:
    rows = []
    for run in runs:
        steps = "".join(
            f"<li>{escape(st['name'] or st['id'])} <b class='{escape(st['status'])}'>{escape(st['status'])}</b>"
            f" ({escape(st['op'])}, attempt {st['attempt']})<pre>{_json(st['output'])}{_json(st['error'])}</pre></li>"
            for st in run["steps"]
        )
        rows.append(
            f"<tr id='{escape(run['id'])}'><td><a href='/runs/{escape(run['id'])}'>{escape(run['id'])}</a><br>{escape(run['created_at'] or '')}</td>"
            f"<td>{escape(run['function_id'])}<br><small>{escape(run['event'].get('name', ''))}</small></td>"
            f"<td class='{escape(run['status'])}'>{escape(run['status'])}{_next(run)}</td>"
            f"<td><ol>{steps}</ol></td><td><pre>{_json(run['output'])}</pre><pre class='Failed'>{_json(run['error'])}</pre></td></tr>"
        )
    fns = ", ".join(str(escape(f["id"])) for f in functions) or "none registered yet"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Executor runs</title>"
        f"<style>{_STYLE}</style></head><body><h1>Runs</h1><p>Functions: {fns}</p>"
        "<p>JSON: <a href='/v1/runs'>/v1/runs</a></p>"
        "<table><tr><th>Run</th><th>Function</th><th>Status</th><th>Steps</th><th>Output / error</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
