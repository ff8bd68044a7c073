"""The runs page a person can read: one row per run, steps on a click, failures first.

Each run is one row (function, what triggered it, status, age, what it waits for);
clicking it opens its steps with their outputs and errors. A failure shows the
error's message first, in red, with the traceback folded under it; JSON is
pretty-printed and wrapped (never a horizontal scrollbar); long values are folded.
The page refreshes itself every few seconds (keeping open rows open, and pausing
while text is selected) and filters by status and function (`?status=&function_id=`).
Everything shown is escaped: run data holds customer text.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from markupsafe import escape

from devkit.narrate import error_message, short_function, subject

STATUSES = ("Running", "Completed", "Failed", "Cancelled")
FOLD_AT = 600  # characters of JSON shown before a value is folded

_STYLE = """
*{box-sizing:border-box}body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:90rem;padding:1rem 1.5rem;color:#1d1d1f}
h1{font-size:1.4rem;margin:.2rem 0 .6rem}form{margin:.5rem 0 1rem;display:flex;gap:.8rem;align-items:center;flex-wrap:wrap}
select{padding:.2rem}.muted{color:#6e6e73}.run{border:1px solid #e0e0e0;border-radius:6px;margin:.35rem 0;background:#fff}
.run>summary{display:grid;grid-template-columns:13rem minmax(16rem,2.2fr) 6.5rem 5.5rem minmax(10rem,1.6fr);gap:.8rem;
  padding:.45rem .7rem;cursor:pointer;list-style:none;align-items:baseline}
.run>summary::-webkit-details-marker{display:none}.run[open]>summary{border-bottom:1px solid #eee;background:#fafafa}
.run.Failed{border-left:5px solid #d1242f}.run.Running{border-left:5px solid #0969da}.run.Completed{border-left:5px solid #1a7f37}
.run.Cancelled{border-left:5px solid #8c959f}.fn{font-weight:600;overflow-wrap:anywhere}.cell{overflow-wrap:anywhere;min-width:0}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:.8rem;font-weight:600}
.b-Completed{background:#dafbe1;color:#1a7f37}.b-Failed{background:#ffebe9;color:#d1242f}.b-Running{background:#ddf4ff;color:#0969da}
.b-Cancelled,.b-Planned{background:#eaeef2;color:#57606a}.b-Retrying,.b-Sleeping,.b-Waiting{background:#fff8c5;color:#7d4e00}
.body{padding:.5rem .9rem .8rem}.error{background:#ffebe9;border:1px solid #ffcecb;border-radius:6px;padding:.4rem .6rem;margin:.3rem 0;color:#82071e;font-weight:600;white-space:pre-wrap;overflow-wrap:anywhere}
pre{margin:.2rem 0;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;font-size:.82rem;background:#f6f8fa;padding:.4rem .6rem;border-radius:6px;max-width:100%}
ol.steps{padding-left:1.4rem;margin:.3rem 0}ol.steps li{margin:.35rem 0}details.fold>summary{cursor:pointer;color:#57606a;font-size:.85rem}
.waits{color:#7d4e00}
"""

_SCRIPT = """
(function(){
  var key='open-runs';
  var open=JSON.parse(sessionStorage.getItem(key)||'[]');
  open.forEach(function(id){var el=document.getElementById(id); if(el){el.open=true;}});
  document.querySelectorAll('details.run').forEach(function(el){
    el.addEventListener('toggle',function(){
      var ids=[].slice.call(document.querySelectorAll('details.run[open]')).map(function(d){return d.id;});
      sessionStorage.setItem(key,JSON.stringify(ids));
    });
  });
  var box=document.getElementById('auto');
  box.checked=sessionStorage.getItem('auto-refresh')!=='off';
  box.addEventListener('change',function(){sessionStorage.setItem('auto-refresh',box.checked?'on':'off');});
  setInterval(function(){
    if(box.checked && !String(window.getSelection())){location.reload();}
  },4000);
})();
"""


def _json(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, default=str, ensure_ascii=False)
    if len(text) <= FOLD_AT:
        return f"<pre>{escape(text)}</pre>"
    return (f"<pre>{escape(text[:FOLD_AT])}…</pre><details class='fold'><summary>all {len(text)} characters</summary>"
            f"<pre>{escape(text)}</pre></details>")


def _error(error: Any) -> str:
    """The message first, highlighted; the traceback folded below it."""
    if not error:
        return ""
    parts = [f"<div class='error'>{escape(error_message(error))}</div>"]
    if isinstance(error, dict):
        stack = error.get("stack")
        if stack:
            parts.append(f"<details class='fold'><summary>traceback</summary><pre>{escape(stack)}</pre></details>")
        rest = {k: v for k, v in error.items() if k not in ("stack", "message")}
        if rest:
            parts.append(f"<details class='fold'><summary>error details</summary>{_json(rest)}</details>")
    return "".join(parts)


def _age(iso: str | None, now: datetime) -> str:
    if not iso:
        return ""
    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _when(iso: str | None) -> str:
    if not iso:
        return "?"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def waits_for(run: dict[str, Any]) -> tuple[str, str]:
    """What the run waits for, in words (an approval, a sleep, a retry, its turn), and the raw next job."""
    if run["status"] != "Running":
        return "", ""
    steps = {st["id"]: st for st in run.get("steps") or []}
    action_id = ((run.get("event") or {}).get("data") or {}).get("actionId")
    for job in run.get("scheduled") or []:
        step = steps.get(job.get("step_id") or "") or {}
        name = step.get("name") or job.get("step_id") or "the run"
        due = job.get("due_at")
        raw = f"next: {job['kind']} at {due}"
        if job["kind"] == "timeout" and step.get("status") == "Waiting":
            what = f"approval of {action_id}" if action_id and "decision" in name else f"an event ({name})"
            return f"{what}; gives up {_when(due)}", raw
        if job["kind"] == "wake":
            return f"sleeping ({name}) until {_when(due)}", raw
        if job["kind"] == "call" and step.get("status") == "Retrying":
            return f"retry {step.get('attempt', 0) + 1} of {name} at {_when(due)}", raw
        return f"its turn ({name}) at {_when(due)}", raw
    if any(st["status"] == "Waiting" for st in steps.values()):
        return "an event", ""
    return "", ""


def _step(step: dict[str, Any]) -> str:
    name = escape(step.get("name") or step["id"])
    attempt = f" · attempt {step['attempt'] + 1}" if step.get("attempt") else ""
    output = _json(step["output"]) if step.get("output") is not None else ""
    return (f"<li><b>{name}</b> <span class='badge b-{escape(step['status'])}'>{escape(step['status'])}</span>"
            f" <span class='muted'>{escape(step.get('op') or '')}{attempt}</span>{_error(step.get('error'))}{output}</li>")


def _run(run: dict[str, Any], now: datetime) -> str:
    status = run["status"]
    event = run.get("event") or {}
    about = subject(run, compact=True)
    trigger = f"{escape(event.get('name', ''))}" + (f"<br><span class='muted'>{escape(about)}</span>" if about else "")
    waits, next_job = waits_for(run)
    headline = f"<div class='error'>{escape(error_message(run.get('error')))}</div>" if status == "Failed" else ""
    steps = "".join(_step(st) for st in run.get("steps") or []) or "<li class='muted'>no steps yet</li>"
    output = f"<h4>Output</h4>{_json(run['output'])}" if run.get("output") is not None else ""
    parent = f" · invoked by <a href='/runs/{escape(run['parent_run_id'])}'>{escape(run['parent_run_id'])}</a>" if run.get("parent_run_id") else ""
    return (
        f"<details class='run {escape(status)}' id='run-{escape(run['id'])}'><summary>"
        f"<span class='fn cell'>{escape(short_function(run['function_id']))}</span>"
        f"<span class='cell'>{trigger}</span>"
        f"<span class='cell'><span class='badge b-{escape(status)}'>{escape(status)}</span></span>"
        f"<span class='cell muted' title='{escape(run.get('created_at') or '')}'>{_age(run.get('created_at'), now)}</span>"
        f"<span class='cell waits' title='{escape(next_job)}'>{escape(waits)}{headline}</span></summary>"
        f"<div class='body'><div class='muted'>run <a href='/runs/{escape(run['id'])}'>{escape(run['id'])}</a>"
        f" · event {escape(event.get('id', ''))} · started {escape(run.get('started_at') or '')}"
        f" · ended {escape(run.get('ended_at') or '-')}{parent}</div>"
        f"{_error(run.get('error'))}<h4>Steps</h4><ol class='steps'>{steps}</ol>{output}"
        f"<details class='fold'><summary>event data</summary>{_json(event.get('data'))}</details></div></details>"
    )


def runs_page(runs: list[dict[str, Any]], functions: list[dict[str, Any]], *, status: str | None = None,
              function_id: str | None = None) -> str:
    now = datetime.now(timezone.utc)
    status_options = "".join(
        f"<option value='{s}'{' selected' if s == status else ''}>{s}</option>" for s in STATUSES)
    fn_ids = sorted({f["id"] for f in functions} | {r["function_id"] for r in runs})
    fn_options = "".join(
        f"<option value='{escape(f)}'{' selected' if f == function_id else ''}>{escape(short_function(f))}</option>" for f in fn_ids)
    counts = {s: sum(1 for r in runs if r["status"] == s) for s in STATUSES}
    summary = " · ".join(f"{n} {s.lower()}" for s, n in counts.items() if n) or "no runs yet"
    json_link = "/v1/runs" + (f"?{urlencode({k: v for k, v in (('status', status), ('function_id', function_id)) if v})}" if status or function_id else "")
    rows = "".join(_run(run, now) for run in runs) or "<p class='muted' id='empty'>No runs match.</p>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Runs ({summary})</title><style>{_STYLE}</style></head><body>"
        "<h1>Runs</h1>"
        "<form method='get' action='/runs'>"
        f"<label>Status <select name='status' onchange='this.form.submit()'><option value=''>all</option>{status_options}</select></label>"
        f"<label>Function <select name='function_id' onchange='this.form.submit()'><option value=''>all</option>{fn_options}</select></label>"
        "<label><input type='checkbox' id='auto'> auto-refresh</label>"
        f"<span class='muted'>{escape(summary)} · newest first · JSON: <a href='{escape(json_link)}'>{escape(json_link)}</a></span></form>"
        f"{rows}<script>{_SCRIPT}</script></body></html>"
    )

