"""The serve endpoint on a large step state: what the guard (`lib.inngest.serve`) adds to the SDK's own work.

Inngest sends a run's memoized step outputs with every call, so late calls of a run
with big step outputs carry megabytes. The guard reads such a body before the SDK
parses it again. Here one POST for `handle-inbound-message` carries a
`gather-context` memo of `size` MiB (a long conversation: Front messages with
text, authors and timestamps) and plans the next step (`route`), so no step runs.
It goes, signed in Cloud mode, to `api.inngest.app` (guard + SDK) and to an app
with the SDK's serve alone (same client, same functions, no guard), alternately
in one process (`python -m bench.serve_body`, started with its own settings);
each figure is the median of `repeat` calls after one warm-up call each.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import time
from typing import Any, Callable

from bench.report import Row
from bench.stats import median
from bench.workspace import PYTHON, BenchError, child_env
from bench.wsgi import post
from lib.config import ROOT

SIGNING_KEY = "signkey-prod-" + "cd" * 32
MiB = 1024 * 1024


def step_state_body(size_mib: float) -> bytes:
    """A signed-ready first-plan call whose gather-context memo is about `size_mib` MiB of conversation
    (its rules left the route to the classifier, so the answer plans the `route` step)."""
    inbound = {"conversationId": "cnv_big", "messageId": "msg_big", "inboxId": "inb_big", "appId": "acme",
               "frontEventId": "evt_big", "subject": "Refund", "body": "Please refund my order.",
               "senderEmail": "casey@example.com"}
    paragraph = ("Thanks for getting back to me. I tried the steps from your last message,\nbut the licence "
                 "still shows as inactive on my second laptop; the order number is below.\n\n")
    message_text = paragraph * 8  # about 1.3 KB in lines, like a real e-mail
    def message(n: int) -> dict[str, Any]:
        return {"id": f"msg_{n:06d}", "author": "casey@example.com" if n % 2 else "support@acme.test",
                "is_inbound": bool(n % 2), "text": message_text, "created_at": 1_700_000_000.25 + n}

    count = int(size_mib * MiB) // len(json.dumps(message(0)).encode()) + 1
    messages = [message(n) for n in range(count)]
    context = {"conversation_id": "cnv_big", "app": {"slug": "acme", "name": "Acme"},
               "customer": {"source": "integration", "user": {"email": "casey@example.com"},
                            "purchases": [{"id": "pi_1", "product": "Acme Pro", "amount": 4900, "currency": "usd"}]},
               "messages": messages, "latest_message": {"id": "msg_big", "body": "Please refund my order."},
               "fallbacks": []}
    event = {"name": "front/inbound_received", "data": inbound, "id": "evt-big", "ts": 1_700_000_000_000}
    gather = hashlib.sha1(b"gather-context").hexdigest()  # the SDK's hashed step id
    return json.dumps({
        "ctx": {"attempt": 0, "disable_immediate_execution": True, "run_id": "01JBENCHSERVEBODY000000000",
                "stack": {"stack": [gather]}},
        "event": event, "events": [event], "steps": {gather: {"data": {"context": context, "routed": None}}}, "use_api": False,
    }).encode()


def _post(app: Callable[..., Any], body: bytes, signature: str) -> tuple[str, bytes]:
    return post(app, "/api/inngest", "fnId=support-workflows-handle-inbound-message&stepId=step", body,
                {"X-Inngest-Signature": signature, "X-Inngest-Server-Kind": "cloud"})


def measure(sizes: list[float], repeat: int) -> dict[str, Any]:
    """In this process (Cloud-mode settings already set): per size, medians for both apps and the guard's parse."""
    import inngest.flask
    from flask import Flask

    import api.inngest
    from devkit.executor.signing import sign
    from lib.inngest.client import get_client
    from lib.inngest.serve import ServerRequest
    from lib.web.parsing import loads_object, validate
    from lib.workflows import all_functions

    sdk_alone = Flask("sdk-alone")
    inngest.flask.serve(sdk_alone, get_client(), all_functions())
    apps = {"api.inngest": api.inngest.app, "SDK alone": sdk_alone}
    results: dict[str, Any] = {}
    for size in sizes:
        body = step_state_body(size)
        signature = sign(body, SIGNING_KEY)
        times: dict[str, list[float]] = {name: [] for name in apps}
        for name, app in apps.items():  # warm-up, and both must plan `route`
            status, out = _post(app, body, signature)
            if not status.startswith("206") or b'"route"' not in out:
                raise BenchError(f"{name} answered {status}: {out[:300]!r}")
        for _ in range(repeat):
            for name, app in apps.items():
                start = time.perf_counter()
                _post(app, body, signature)
                times[name].append((time.perf_counter() - start) * 1000)
        parse: list[float] = []
        for _ in range(repeat):
            start = time.perf_counter()
            validate(ServerRequest, loads_object(body), what="Inngest request")
            parse.append((time.perf_counter() - start) * 1000)
        results[f"{size:g}"] = {"bytes": len(body), "median_ms": {k: median(v) for k, v in times.items()},
                                "guard_parse_ms": median(parse), "samples_ms": times}
    return results


def run(sizes: tuple[float, ...] = (1, 4), repeat: int = 15) -> tuple[list[Row], dict[str, Any]]:
    env = child_env(INNGEST_DEV="0", INNGEST_SIGNING_KEY=SIGNING_KEY, INNGEST_EVENT_KEY="bench-event-key")
    proc = subprocess.run([PYTHON, "-m", "bench.serve_body", "--sizes", ",".join(f"{s:g}" for s in sizes),
                           "--repeat", str(repeat)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise BenchError(f"serve body benchmark failed:\n{proc.stderr[-3000:]}")
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = []
    for size, result in results.items():
        ours, alone = result["median_ms"]["api.inngest"], result["median_ms"]["SDK alone"]
        rows.append(Row("serve body", f"POST with {size} MiB step state: api.inngest vs the SDK alone",
                        ours, alone, "ms"))
        rows.append(Row("serve body", "  the guard's parse of it, vs the SDK alone",
                        result["guard_parse_ms"], alone, "ms"))
    return rows, {"repeat": repeat, "sizes": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_body")
    parser.add_argument("--sizes", default="1,4", help="step-state sizes in MiB, comma-separated")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    print(json.dumps(measure([float(s) for s in args.sizes.split(",")], args.repeat)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
