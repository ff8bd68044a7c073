"""The runs JSON endpoint and the HTML page."""

from __future__ import annotations

import inngest
import requests

from tests.executor.conftest import SCALE
from devkit.sandbox.inngest_stack import InngestStack


def test_runs_json_and_html_show_steps_outputs_and_errors(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="viewable", trigger=inngest.TriggerEvent(event="test/view"), retries=0)
    def viewable(ctx: inngest.ContextSync) -> str:
        greeting = ctx.step.run("greet", lambda: f"hello <{ctx.event.data['who']}>")
        if ctx.event.data.get("fail"):
            raise inngest.NonRetriableError("refused <loudly>")
        return greeting

    with InngestStack([viewable], time_scale=SCALE) as stack:
        stack.send("test/view", {"who": "ada"})
        [ok] = stack.wait_for_run("viewable")
        stack.send("test/view", {"who": "bob", "fail": True})
        [failed] = stack.wait_for_run("support-workflows-viewable", status="Failed")
        one = stack.run(ok["id"])
        html = requests.get(f"{stack.executor_url}/runs", timeout=10)
        missing = requests.get(f"{stack.executor_url}/v1/runs/nope", timeout=10)
        only_failed = requests.get(f"{stack.executor_url}/v1/runs", params={"status": "Failed"}, timeout=10).json()["data"]
    assert set(one) >= {"id", "function_id", "status", "output", "error", "event", "steps", "started_at", "ended_at"}
    assert one["steps"] == [{"id": one["steps"][0]["id"], "name": "greet", "op": "StepRun", "status": "Completed",
                             "output": "hello <ada>", "error": None, "attempt": 0}]
    assert failed["error"]["message"] == "refused <loudly>"
    assert [r["id"] for r in only_failed] == [failed["id"]]
    assert missing.status_code == 404
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert ok["id"] in html.text and failed["id"] in html.text
    assert "hello &lt;ada&gt;" in html.text and "refused &lt;loudly&gt;" in html.text  # escaped
    assert "<ada>" not in html.text


def test_cancel_endpoint_cancels_a_sleeping_run(client: inngest.Inngest) -> None:
    import datetime

    @client.create_function(fn_id="long-nap", trigger=inngest.TriggerEvent(event="test/long-nap"))
    def long_nap(ctx: inngest.ContextSync) -> str:
        ctx.step.sleep("nap", datetime.timedelta(days=1))
        return "woke"

    with InngestStack([long_nap], time_scale=1.0) as stack:
        stack.send("test/long-nap", {})
        [run] = stack.wait_for(lambda: [r for r in stack.runs("long-nap") if r["steps"] and r["steps"][0]["status"] == "Sleeping"])
        page = requests.get(f"{stack.executor_url}/runs/{run['id']}", timeout=10).text
        first = requests.post(f"{stack.executor_url}/v1/runs/{run['id']}/cancel", timeout=10).json()
        again = requests.post(f"{stack.executor_url}/v1/runs/{run['id']}/cancel", timeout=10).json()
        cancelled = stack.run(run["id"])
    assert first == {"cancelled": True}
    assert again == {"cancelled": False}
    assert cancelled["status"] == "Cancelled" and cancelled["ended_at"]
    [wake] = run["scheduled"]
    assert wake["kind"] == "wake" and f"next: wake at {wake['due_at']}" in page  # the page says when it goes on
    assert cancelled["scheduled"] == []  # cancelling drops the wake-up
