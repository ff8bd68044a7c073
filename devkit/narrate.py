"""One readable terminal line per run event, from the executor's `/v1/runs` JSON.

Feed it the run list again and again (`update`); it prints what changed since the
last call: a run started, a step done, failed (with the error's message) or
retrying, a wait (with the approval link when it waits for a decision), a sleep
and until when, a run completed, failed or cancelled. Colours only on a TTY.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, Callable, TextIO

_COLOURS = {"ok": "32", "fail": "31", "wait": "33", "info": "36", "dim": "2"}
TERMINAL = ("Completed", "Failed", "Cancelled")


def error_message(error: Any) -> str:
    """The first line of an error's message (the traceback is for the runs page)."""
    if isinstance(error, dict):
        text = error.get("message") or error.get("error") or error.get("name") or ""
        name = error.get("name")
        text = str(text)
        if name and name not in ("Error", "StepError") and not text.startswith(str(name)):
            text = f"{name}: {text}"
    else:
        text = str(error or "")
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else "unknown error"


def short_function(function_id: str) -> str:
    """`support-workflows-handle-inbound-message` -> `handle-inbound-message`."""
    for prefix in ("support-workflows-",):
        if function_id.startswith(prefix):
            return function_id[len(prefix):]
    return function_id


def subject(run: dict[str, Any], *, compact: bool = False) -> str:
    """What a run is about, from its event: the conversation, the action, the purchase (ids only when `compact`)."""
    data = (run.get("event") or {}).get("data") or {}
    keys = [key for key in ("conversationId", "actionId", "purchaseId") if data.get(key)]
    if compact:
        return " · ".join(str(data[key]) for key in keys)
    return ", ".join(f"{key} {data[key]}" for key in keys)


class Narrator:
    def __init__(self, out: TextIO | None = None, *, colour: bool | None = None,
                 approval_link: Callable[[str], str] | None = None) -> None:
        self.out = out or sys.stdout
        self.colour = colour if colour is not None else bool(getattr(self.out, "isatty", lambda: False)())
        self.approval_link = approval_link
        self._seen: dict[str, dict[str, Any]] = {}

    def prime(self, runs: list[dict[str, Any]]) -> None:
        """Remember these runs as already told (what happened before we started watching)."""
        for run in runs:
            self._seen[run["id"]] = self._state(run)

    def update(self, runs: list[dict[str, Any]]) -> list[str]:
        lines: list[str] = []
        for run in sorted(runs, key=lambda r: (r.get("created_at") or "", r["id"])):
            before = self._seen.get(run["id"])
            now = self._state(run)
            if before != now:
                lines.extend(self._changes(run, before, now))
                self._seen[run["id"]] = now
        for line in lines:
            print(line, file=self.out, flush=True)
        return lines

    # ---------------------------------------------------------------------------------------

    @staticmethod
    def _state(run: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": run["status"],
            "steps": {st["id"]: (st["status"], st.get("attempt")) for st in run.get("steps") or []},
        }

    def _paint(self, kind: str, text: str) -> str:
        return f"\x1b[{_COLOURS[kind]}m{text}\x1b[0m" if self.colour else text

    def _line(self, run: dict[str, Any], kind: str, text: str) -> str:
        clock = datetime.now().strftime("%H:%M:%S")
        fn = short_function(run["function_id"])
        return f"{self._paint('dim', clock)} {fn} {self._paint('dim', run['id'][-6:])}  {self._paint(kind, text)}"

    def _changes(self, run: dict[str, Any], before: dict[str, Any] | None, now: dict[str, Any]) -> list[str]:
        lines = []
        if before is None:
            event = (run.get("event") or {}).get("name", "?")
            about = subject(run)
            lines.append(self._line(run, "info", f"started by {event}" + (f" ({about})" if about else "")))
            before = {"status": None, "steps": {}}
        for step in run.get("steps") or []:
            state = now["steps"][step["id"]]
            if before["steps"].get(step["id"]) == state:
                continue
            lines.extend(self._step_line(run, step))
        if now["status"] != before["status"] and now["status"] in TERMINAL:
            if now["status"] == "Completed":
                lines.append(self._line(run, "ok", "completed" + _outcome(run.get("output"))))
            elif now["status"] == "Failed":
                lines.append(self._line(run, "fail", f"FAILED: {error_message(run.get('error'))}"))
            else:
                lines.append(self._line(run, "dim", "cancelled"))
        return lines

    def _step_line(self, run: dict[str, Any], step: dict[str, Any]) -> list[str]:
        name = step.get("name") or step["id"]
        status = step["status"]
        due = _due(run, step["id"])
        if status == "Completed":
            return [self._line(run, "ok", f"step {name} done")]
        if status == "Failed":
            return [self._line(run, "fail", f"step {name} failed: {error_message(step.get('error'))}")]
        if status == "Retrying":
            when = f", retry at {due}" if due else ""
            return [self._line(run, "wait", f"step {name} failed (attempt {step.get('attempt')}{when}): {error_message(step.get('error'))}")]
        if status == "Sleeping":
            return [self._line(run, "wait", f"sleeping ({name}) until {due or '?'}")]
        if status == "Waiting":
            action_id = ((run.get("event") or {}).get("data") or {}).get("actionId")
            text = f"waiting ({name}) until {due or '?'} at the latest"
            if action_id and self.approval_link and step.get("op") == "WaitForEvent" and "decision" in name:
                text = f"waiting for approval of {action_id}: {self.approval_link(action_id)}"
            return [self._line(run, "wait", text)]
        if status == "Planned" and step.get("op") == "InvokeFunction":
            return [self._line(run, "info", f"invoking ({name})")]
        return []


def _due(run: dict[str, Any], step_id: str) -> str | None:
    for job in run.get("scheduled") or []:
        if job.get("step_id") == step_id and job.get("due_at"):
            return _local_time(job["due_at"])
    return None


def _local_time(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _outcome(output: Any) -> str:
    """A few words from a run's output, when it says something a person wants to know."""
    if not isinstance(output, dict):
        return ""
    bits = []
    action = output.get("action")
    if isinstance(action, dict) and action.get("type"):
        bits.append(f"action {action['type']} {action.get('status')}")
    elif "action" in output and action is None and output.get("processed"):
        bits.append("no action")
    draft, sent = output.get("draft"), output.get("autoSend")
    if isinstance(sent, dict) and sent.get("done"):
        bits.append("reply auto-sent")
    elif isinstance(sent, dict):  # it was due to go out and did not
        bits.append(f"draft in Front, not auto-sent: {sent.get('reason')}")
    elif isinstance(draft, dict):
        why = draft.get("autoSendReason")
        bits.append(f"draft in Front, not auto-sent: {why}" if why else "draft in Front")
    if output.get("needsHuman"):
        bits.append("handed to a human")
    if output.get("status") in ("completed", "failed") and output.get("type"):
        why = output.get("reason") or output.get("error")  # FinishedAction (earlier runs: error)
        bits.append(f"{output['type']} {output['status']}" + (f": {why}" if why else ""))
    if output.get("done") and isinstance(output.get("refund"), dict):  # process-refund's RefundOutcome
        refund = output["refund"]
        bits.append(f"refund {refund.get('id')} of {refund.get('amount', 0) / 100:.2f} {str(refund.get('currency', '')).upper()}")
    return f" ({'; '.join(bits)})" if bits else ""
