"""One endpoint through a real HTTP server (Werkzeug on 127.0.0.1): the refusals hold off the test client too."""

from __future__ import annotations

from typing import Any

import requests

from devkit.sandbox.server import LocalServer
from tests.robustness.endpoints import ENDPOINTS, sign_front_app, sign_slack

ENDPOINT = {e.name: e for e in ENDPOINTS}


def test_deep_bodies_and_huge_timestamps_over_http(world: Any) -> None:
    deep = ("[" * 50_000 + "]" * 50_000).encode()
    with LocalServer(ENDPOINT["front-app"].app()) as front, LocalServer(ENDPOINT["slack"].app()) as slack:
        answer = requests.post(f"{front.url}/api/front", data=deep, headers=sign_front_app(deep, {}), timeout=10)
        assert answer.status_code == 400 and "deeper" in answer.json()["error"]
        forged = requests.post(f"{front.url}/api/front", data=b"{}", timeout=10,
                               headers={"x-front-request-timestamp": "9" * 400, "x-front-signature": "x"})
        assert forged.status_code == 401 and "error" in forged.json()
        form = b"payload=" + b"%5B" * 20_000
        headers = {**sign_slack(form, {}), "Content-Type": "application/x-www-form-urlencoded"}
        clicked = requests.post(f"{slack.url}/api/slack", data=form, headers=headers, timeout=10)
        assert clicked.status_code == 400 and "error" in clicked.json()
        stale = requests.post(f"{slack.url}/api/slack", data=form, timeout=10,
                              headers={**headers, "X-Slack-Request-Timestamp": "9" * 400})
        assert stale.status_code == 401
