"""Signed requests as Inngest Cloud makes them: the serve endpoint (cloud mode) verifies them."""

from __future__ import annotations

import inngest
import requests

from devkit.executor.signing import bearer_ok, hashed_key, sign
from tests.executor.conftest import SCALE
from devkit.sandbox.inngest_stack import InngestStack

KEY = "signkey-test-" + "ab" * 32


def test_signed_runs_complete_and_unsigned_requests_are_refused(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="signed", trigger=inngest.TriggerEvent(event="test/signed"))
    def signed(ctx: inngest.ContextSync) -> str:
        return ctx.step.run("inside", lambda: "verified")

    with InngestStack([signed], time_scale=SCALE, signing_key=KEY) as stack:
        from lib.inngest.client import get_client

        assert get_client().is_production  # the serve endpoint runs in cloud mode and checks signatures
        stack.send("test/signed", {})
        [run] = stack.wait_for_run("signed")
        body = {"event": {"name": "test/signed", "data": {}}, "events": [], "steps": {}, "use_api": False,
                "ctx": {"run_id": "x", "attempt": 0, "disable_immediate_execution": False, "stack": {"stack": []}}}
        url = f"{stack.serve_url}?fnId=support-workflows-signed&stepId=step"
        unsigned = requests.post(url, json=body, timeout=10)
        forged = requests.post(url, json=body, headers={"x-inngest-signature": sign(b'{"other":1}', KEY)}, timeout=10)
        wrong_key = requests.post(f"{stack.executor_url}/fn/register", json={"url": "u", "functions": []},
                                  headers={"Authorization": "Bearer " + hashed_key("cd" * 32)}, timeout=10)
    assert run["output"] == "verified"
    assert unsigned.status_code == 401
    assert forged.status_code == 401
    assert wrong_key.status_code == 401


def test_signature_matches_the_sdks_own_signer() -> None:
    from inngest._internal.net import sign_request

    body = b'{"b": 1, "a": [1, 2]}'
    assert sign(body, KEY, now=1700000000) == sign_request(body, KEY, 1700000000)
    assert bearer_ok("Bearer " + hashed_key(KEY), KEY)
    assert not bearer_ok(None, KEY)
    assert bearer_ok(None, None)
