"""`python -m devkit teammate-replies`: customers write in one category and a teammate answers each draft, so trust moves.

    python -m devkit teammate-replies --category billing -n 25                 # teammates send every draft as it is
    python -m devkit teammate-replies --category product_question -n 10 --style rewritten
    python -m devkit teammate-replies --category billing -n 30 --style mix      # mostly unchanged, some edited, a few rewritten

For each of N new conversations it puts a customer message of the category into the sandbox
Front and posts Front's signed `inbound_received` webhook to the running `devkit dev`, waits
for the agent's draft to appear in the sandbox Front, then puts the teammate's reply (the
draft unchanged, lightly edited or rewritten) into the conversation and posts the
`outbound_sent` webhook, as Front would. When every reply is recorded it prints the
category's trust (read from the dev database) and whether auto-send is open for it.

The customer messages are ones the offline agent files under the category (see
`CUSTOMER_MESSAGES`); with `OPENAI_API_KEY` set the model classifies them itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from typing import Any, Callable

import requests

from devkit import settings
from devkit.narrate import TERMINAL

# Messages the offline agent (lib/agent/offline.py) files under each category; the router sends them to `respond`.
CUSTOMER_MESSAGES: dict[str, tuple[str, ...]] = {
    "billing": (
        "Where can I download the invoice for my last payment?",
        "How do I add my VAT number so it shows on the invoices?",
        "Could you send me a receipt for my annual plan with my company name on it?",
    ),
    "product_question": (
        "Does Acme Pro work offline?",
        "Can I use Acme Pro on two computers?",
        "Is there a dark mode in the desktop app?",
    ),
    "bug_report": (
        "The export button shows an error since yesterday.",
        "The app crashes when I open the settings page.",
        "Sync is not working on my phone any more.",
    ),
}
STYLES = ("unchanged", "edited", "rewritten", "mix")
REWRITE = "Thanks for asking! I've checked your account and a colleague will follow up with the details today."


# `mix` cycles through ten replies: seven unchanged, two edited, one rewritten (trust 0.8, below the 0.85 default).
MIX = ("unchanged",) * 7 + ("edited",) * 2 + ("rewritten",)


def style_of(style: str, index: int) -> str:
    """The concrete style of the `index`-th reply (`mix` cycles through `MIX`)."""
    return MIX[index % len(MIX)] if style == "mix" else style


def teammate_text(draft_text: str, style: str, index: int) -> str:
    """What the teammate sends for this draft: it as it is, with a line added, or their own reply."""
    chosen = style_of(style, index)
    if chosen == "unchanged":
        return draft_text
    if chosen == "edited":
        return f"{draft_text}\n\nLet me know if there is anything else I can do."
    return REWRITE


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m devkit teammate-replies", description=__doc__.split("\n\n")[0])
    p.add_argument("--category", required=True, choices=sorted(CUSTOMER_MESSAGES), help="what the customers write about")
    p.add_argument("-n", "--count", type=int, default=25, help="how many conversations (default 25)")
    p.add_argument("--style", choices=STYLES, default="unchanged", help="how the teammate answers each draft (default unchanged)")
    p.add_argument("--data-dir", default=None, help="as given to `devkit dev` (default .data)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each draft and each recorded reply")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    directory = settings.data_dir(args.data_dir)
    if args.data_dir and not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'support.db'}"
    local = settings.LocalSettings.load(directory)
    urls = local.urls
    if not urls:
        print("no `devkit dev` has run with this data dir yet: start `make dev` (or `python -m devkit dev`) first", file=sys.stderr)
        return 2
    from devkit.actors import send_webhook

    secret = local.front_secret()
    recorded: list[str] = []
    try:
        for index in range(args.count):
            conversation = f"cnv_{uuid.uuid4().hex[:10]}"
            text = CUSTOMER_MESSAGES[args.category][index % len(CUSTOMER_MESSAGES[args.category])]
            message = _sandbox_message(urls["front"], conversation, text, inbound=True)
            inbound_id = f"evt_{uuid.uuid4().hex[:16]}"
            status, answer = send_webhook(urls["functions"], secret, inbound_id, conversation, message["message"],
                                          message["inbox_id"], True)
            if status != 200:
                print(f"/api/front answered {status} {answer}", file=sys.stderr)
                return 1
            # The run has stored its draft once it ended, or sleeps before an auto-send (which the reply then cancels).
            _wait(lambda: _settled(urls["executor"], inbound_id), args.timeout, f"the run for {conversation} did not settle")
            draft = _draft_in(urls["front"], conversation)
            if draft is None:
                print(f"{conversation}: the agent wrote no draft (see the runs page); skipped", file=sys.stderr)
                continue
            from lib.front.messages import html_to_text

            reply = teammate_text(html_to_text(str(draft.get("body") or "")), args.style, index)
            sent = _sandbox_message(urls["front"], conversation, reply, inbound=False)
            event_id = f"evt_{uuid.uuid4().hex[:16]}"
            status, answer = send_webhook(urls["functions"], secret, event_id, conversation, sent["message"], sent["inbox_id"], False)
            if status != 200:
                print(f"/api/front answered {status} {answer}", file=sys.stderr)
                return 1
            recorded.append(event_id)
            print(f"{index + 1}/{args.count} {conversation}: draft answered ({style_of(args.style, index)})", flush=True)
        _wait(lambda: _all_recorded(urls["executor"], recorded), args.timeout, "the replies were not all recorded")
    except requests.ConnectionError as exc:
        print(f"the dev stack is not answering ({exc}): is `make dev` running?", file=sys.stderr)
        return 2
    except TimeoutError as exc:
        print(str(exc), file=sys.stderr)
        return 3
    print(trust_line(args.category))
    return 0


def trust_line(category: str, slug: str | None = None) -> str:
    """The category's trust in the demo app, and whether its drafts are auto-sent now."""
    from lib.apps import registry
    from lib.trust.gate import category_open
    from lib.trust.scores import trust_for

    from devkit.runner import DEMO_SLUG

    app = registry.get_app(slug or DEMO_SLUG)
    trust = trust_for(app.id, category)
    verdict = category_open(app, category, trust)
    score = f"{trust.score:.2f} over {trust.samples} replies" if trust else "no replies yet"
    return f"{category} trust in {app.slug}: {score}; auto-send {'OPEN' if verdict.auto_send else 'closed'} ({verdict.reason})"


def _sandbox_message(front_url: str, conversation: str, text: str, *, inbound: bool) -> dict[str, Any]:
    from devkit.sandbox.seed import CUSTOMER

    posted = requests.post(f"{front_url}/_sandbox/conversations/{conversation}/messages",
                           json={"text": text, "from": CUSTOMER, "inbound": inbound}, timeout=10)
    posted.raise_for_status()
    return posted.json()


def _draft_in(front_url: str, conversation: str) -> dict[str, Any] | None:
    state = requests.get(f"{front_url}/_sandbox/state", timeout=10).json()
    found = [d for d in state.get("drafts") or [] if d.get("conversation_id") == conversation]
    return found[-1] if found else None


def _settled(executor_url: str, event_id: str) -> bool:
    runs = requests.get(f"{executor_url}/v1/runs", params={"function_id": "handle-inbound-message", "limit": 1000}, timeout=10).json()["data"]
    run = next((r for r in runs if (r.get("event") or {}).get("id") == event_id), None)
    return run is not None and (run["status"] in TERMINAL or any(st["status"] == "Sleeping" for st in run.get("steps") or []))


def _all_recorded(executor_url: str, event_ids: list[str]) -> bool:
    runs = requests.get(f"{executor_url}/v1/runs", params={"function_id": "record-human-reply", "limit": 1000}, timeout=10).json()["data"]
    done = {(r.get("event") or {}).get("id") for r in runs if r["status"] == "Completed"}
    return set(event_ids) <= done


def _wait(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise TimeoutError(f"{what} after {timeout:.0f} s; see the runs page")
