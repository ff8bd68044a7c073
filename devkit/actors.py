"""Act as the people in the story against a running `devkit dev`.

    python -m devkit customer "I'd like a refund for Acme Pro" [--from casey@example.com] [--conversation cnv_...]
    python -m devkit teammate-reply --conversation cnv_... ["Thanks, I'm looking into this personally."]

`customer` puts the message into the sandbox Front's inbox (so the workflow reads
it from Front as in production), sends Front's signed `inbound_received`
application webhook to `/api/front`, prints the run it started and follows it and
the runs it leads to until each has ended or waits (printing the approval link).
`teammate-reply` does the same with an `outbound_sent` webhook, which cancels the
conversation's pending auto-send. The URLs and secrets come from `.data/devkit.json`,
written by `devkit dev`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from typing import Any

import requests

from devkit import settings
from devkit.narrate import TERMINAL, Narrator
from devkit.sandbox.seed import CUSTOMER


def parser(command: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m devkit {command}")
    if command == "customer":
        p.add_argument("text", help="what the customer writes")
        p.add_argument("--from", dest="sender", default=CUSTOMER, help=f"the customer's address (default {CUSTOMER}, seeded in the sandbox)")
        p.add_argument("--name", default=None)
        p.add_argument("--conversation", default=None, help="continue this conversation (default: a new one)")
    else:
        p.add_argument("text", nargs="?", default="Thanks for writing in, I'm looking into this personally.")
        p.add_argument("--conversation", required=True, help="the conversation the teammate answers")
        p.add_argument("--to", dest="sender", default=CUSTOMER, help="the customer, when the conversation is new to the sandbox")
    p.add_argument("--data-dir", default=None, help="as given to `devkit dev` (default .data)")
    p.add_argument("--timeout", type=float, default=120.0, help="stop following after this many seconds")
    p.add_argument("--no-follow", action="store_true", help="print the run and return")
    return p


def main(command: str, argv: list[str] | None = None) -> int:
    args = parser(command).parse_args(argv)
    local = settings.LocalSettings.load(settings.data_dir(args.data_dir))
    urls = local.urls
    if not urls:
        print("no `devkit dev` has run with this data dir yet: start `make dev` (or `python -m devkit dev`) first", file=sys.stderr)
        return 2
    inbound = command == "customer"
    conversation = args.conversation or f"cnv_{uuid.uuid4().hex[:10]}"
    try:
        posted = requests.post(f"{urls['front']}/_sandbox/conversations/{conversation}/messages",
                               json={"text": args.text, "from": args.sender, "name": getattr(args, "name", None), "inbound": inbound},
                               timeout=10)
    except requests.ConnectionError:
        print(f"the sandbox Front is not answering at {urls['front']}: is `make dev` running?", file=sys.stderr)
        return 2
    if posted.status_code != 201:
        print(f"the sandbox Front refused the message: {posted.status_code} {posted.text[:300]}", file=sys.stderr)
        return 1
    message = posted.json()["message"]
    event_id = f"evt_{uuid.uuid4().hex[:16]}"
    status, answer = send_webhook(urls["functions"], local.front_secret(), event_id, conversation, message,
                                  posted.json()["inbox_id"], inbound)
    who = f"customer {args.sender}" if inbound else "a teammate"
    print(f"{who} wrote in {conversation}; /api/front answered {status} {answer}")
    if status != 200:
        return 1
    if args.no_follow:
        return 0
    os.environ.setdefault("APPROVALS_SECRET", local.approvals_secret)
    os.environ.setdefault("PUBLIC_BASE_URL", urls["functions"])
    return follow(urls["executor"], event_id, conversation, args.timeout)


def send_webhook(functions_url: str, secret: str, event_id: str, conversation: str, message: dict[str, Any],
                 inbox: str, inbound: bool) -> tuple[int, str]:
    """Front's application webhook for this message, signed as Front signs it."""
    from devkit.sandbox.front import app_webhook, app_webhook_headers

    kind = "inbound_received" if inbound else "outbound_sent"
    body = json.dumps(app_webhook(kind, event_id=event_id, inbox_id=inbox, conversation_id=conversation,
                                  message=message, emitted_at=time.time())).encode()
    try:
        response = requests.post(f"{functions_url}/api/front", data=body, headers=app_webhook_headers(body, secret), timeout=30)
    except requests.ConnectionError:
        return 0, f"nothing answers at {functions_url}: is `make dev` running?"
    return response.status_code, response.text.strip()[:300]


def related(run: dict[str, Any], conversation: str, action_ids: set[str], followed: set[str]) -> bool:
    data = (run.get("event") or {}).get("data") or {}
    return (data.get("conversationId") == conversation or data.get("actionId") in action_ids
            or run.get("parent_run_id") in followed)


def follow(executor_url: str, event_id: str, conversation: str, timeout: float) -> int:
    """Narrate the run this event started and the runs it leads to, until all have ended or wait."""
    from lib.approvals.links import signed_link

    narrator = Narrator(approval_link=signed_link)
    deadline = time.monotonic() + timeout
    followed: set[str] = set()
    action_ids: set[str] = set()
    first: dict[str, Any] | None = None
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        try:
            runs = requests.get(f"{executor_url}/v1/runs", params={"limit": 100}, timeout=10).json()["data"]
        except (requests.RequestException, ValueError, KeyError):
            time.sleep(0.5)
            continue
        if first is None:
            first = next((r for r in runs if (r.get("event") or {}).get("id") == event_id), None)
            if first is None:
                time.sleep(0.3)
                continue
            print(f"run {first['id']} ({first['function_id']}): {executor_url}/runs/{first['id']}")
        for run in runs:
            if run["id"] in followed or related(run, conversation, action_ids, followed) and run["created_at"] >= first["created_at"]:
                followed.add(run["id"])
                action = (run.get("output") or {}).get("action") if isinstance(run.get("output"), dict) else None
                if isinstance(action, dict) and action.get("id"):
                    action_ids.add(action["id"])
                if ((run.get("event") or {}).get("data") or {}).get("actionId"):
                    action_ids.add(run["event"]["data"]["actionId"])
        mine = [r for r in runs if r["id"] in followed]
        if narrator.update(mine):
            quiet_since = time.monotonic()
        settled = all(r["status"] in TERMINAL or _waiting(r) for r in mine)
        if mine and settled and time.monotonic() - quiet_since > 2.0:
            failed = [r for r in mine if r["status"] == "Failed"]
            return 1 if failed else 0
        time.sleep(0.4)
    print(f"still running after {timeout:.0f} s; see {executor_url}/runs", file=sys.stderr)
    return 3


def _waiting(run: dict[str, Any]) -> bool:
    """Waiting for an event or sleeping: nothing more happens until someone acts or time passes."""
    return any(st["status"] in ("Waiting", "Sleeping") for st in run.get("steps") or [])
