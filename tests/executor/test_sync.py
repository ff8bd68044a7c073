"""Syncing as production does it: the cron's ping PUTs the serve endpoint, which registers with the
executor (dev mode and signed cloud mode), and a re-sync drops functions the app no longer serves."""

from __future__ import annotations

import inngest
import inngest.flask
import pytest
import requests
from flask import Flask

from tests.executor.conftest import SCALE
from tests.executor.test_signing import KEY
from devkit.sandbox.inngest_stack import InngestStack
from devkit.sandbox.server import LocalServer

OTHER_KEY = "signkey-test-" + "cd" * 32


def _echo(client: inngest.Inngest, fn_id: str, event: str) -> inngest.Function:
    @client.create_function(fn_id=fn_id, trigger=inngest.TriggerEvent(event=event))
    def echo(ctx: inngest.ContextSync) -> dict:
        return dict(ctx.event.data)

    return echo


def _registered(stack: InngestStack) -> dict[str, str]:
    functions = requests.get(f"{stack.executor_url}/v1/functions", timeout=10).json()["data"]
    return {f["id"]: f["url"] for f in functions}


@pytest.mark.parametrize("signing_key", [None, KEY], ids=["dev", "cloud-signed"])
def test_the_crons_ping_registers_the_functions(
    client: inngest.Inngest, signing_key: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.cron

    fn = _echo(client, "pinged", "test/pinged")
    with InngestStack([fn], time_scale=SCALE, signing_key=signing_key, register=False) as stack:
        monkeypatch.delenv("VERCEL_URL", raising=False)
        monkeypatch.delenv("CRON_SECRET", raising=False)
        monkeypatch.setenv("INNGEST_SYNC_URL", stack.serve_url)
        assert _registered(stack) == {}
        with LocalServer(api.cron.app) as cron:
            ping = requests.get(f"{cron.url}/api/cron", timeout=30)
        registered = _registered(stack)
        stack.send("test/pinged", {"via": "cron"})
        [run] = stack.wait_for_run("pinged")
    assert ping.status_code == 200, ping.text
    assert list(registered) == ["support-workflows-pinged"]
    assert registered["support-workflows-pinged"].startswith(stack.serve_url)
    assert run["output"] == {"via": "cron"}


def test_a_resync_drops_functions_the_app_no_longer_serves(client: inngest.Inngest) -> None:
    kept = _echo(client, "kept", "test/kept")
    dropped = _echo(client, "dropped", "test/dropped")
    with InngestStack([kept, dropped], time_scale=SCALE) as stack:
        assert set(_registered(stack)) == {"support-workflows-kept", "support-workflows-dropped"}
        from lib.inngest.client import get_client

        smaller = Flask("next-deploy")
        inngest.flask.serve(smaller, get_client(), [kept])
        with LocalServer(smaller) as next_deploy:
            assert requests.put(f"{next_deploy.url}/api/inngest", timeout=30).status_code == 200
            after = _registered(stack)
            stack.send("test/dropped", {"n": 1})
            stack.send("test/kept", {"n": 2})
            [run] = stack.wait_for_run("kept")
            dropped_runs = stack.runs("dropped")
    assert list(after) == ["support-workflows-kept"]
    assert after["support-workflows-kept"].startswith(next_deploy.url)  # the new deployment's URL
    assert run["output"] == {"n": 2}
    assert dropped_runs == []  # a removed function is not triggered any more


def test_a_refused_registration_fails_the_stack_loudly(client: inngest.Inngest) -> None:
    """The SDK answers the PUT 200 even when the executor refuses; InngestStack must not be fooled."""
    fn = _echo(client, "wrong-key", "test/wrong-key")
    served: list[Flask] = []

    def serve_with_another_key(environ: dict, start_response: object) -> object:
        if not served:  # built on first request, once the stack has pointed the SDK at its executor
            other = inngest.Inngest(app_id="support-workflows", is_production=True, signing_key=OTHER_KEY, event_key="local")
            app = Flask("wrong-key")
            inngest.flask.serve(app, other, [fn])
            served.append(app)
        return served[0](environ, start_response)

    with InngestStack(time_scale=SCALE, signing_key=KEY, serve_app=serve_with_another_key, register=False) as stack:
        put = requests.put(stack.serve_url, timeout=30)
        with pytest.raises(AssertionError, match="signing key"):
            stack.register()
        registered = _registered(stack)
    assert put.status_code == 200 and "error" in put.json()  # what the SDK does, and why the body is checked
    assert registered == {}
