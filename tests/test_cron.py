from typing import Iterator

import pytest
from flask import Flask, request

from api.cron import app
from devkit.sandbox.server import LocalServer


@pytest.fixture
def sync_target(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A stand-in serve endpoint recording the PUTs the cron sends."""
    calls: list[str] = []
    target = Flask("target")

    @target.put("/api/inngest")
    def put() -> tuple[dict, int]:
        calls.append(request.method)
        return {"ok": True, "modified": False}, 200

    @target.put("/api/refused")
    def refused() -> tuple[dict, int]:  # what inngest 0.5 answers when Inngest refused the registration
        return {"error": "signing key mismatch"}, 200

    @target.put("/api/broken")
    def broken() -> tuple[dict, int]:
        return {"message": "signing key mismatch"}, 500

    with LocalServer(target) as server:
        monkeypatch.delenv("VERCEL_URL", raising=False)
        monkeypatch.setenv("INNGEST_SYNC_URL", f"{server.url}/api/inngest")
        calls.append(server.url)
        yield calls


def test_cron_puts_the_serve_endpoint_and_reports(sync_target: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRON_SECRET", raising=False)
    res = app.test_client().get("/api/cron")
    assert res.status_code == 200, res.json
    assert res.json["ok"] is True and res.json["response"] == {"ok": True, "modified": False}
    assert sync_target[1:] == ["PUT"]


def test_cron_demands_the_secret_when_set(sync_target: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRON_SECRET", "s3cret")
    client = app.test_client()
    assert client.get("/api/cron").status_code == 401
    assert client.get("/api/cron", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert sync_target[1:] == []  # refused requests sync nothing
    ok = client.get("/api/cron", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and sync_target[1:] == ["PUT"]


def test_failed_sync_is_a_502_with_the_reason(sync_target: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRON_SECRET", raising=False)
    monkeypatch.setenv("INNGEST_SYNC_URL", f"{sync_target[0]}/api/broken")
    res = app.test_client().get("/api/cron")
    assert res.status_code == 502
    assert "500" in res.json["error"] and "signing key mismatch" in res.json["error"]

    monkeypatch.setenv("INNGEST_SYNC_URL", f"{sync_target[0]}/api/refused")
    res = app.test_client().get("/api/cron")
    assert res.status_code == 502 and res.json["error"] == "registration refused: signing key mismatch"

    monkeypatch.setenv("INNGEST_SYNC_URL", "http://127.0.0.1:9/api/inngest")  # nothing listens on 9
    res = app.test_client().get("/api/cron")
    assert res.status_code == 502 and "ConnectionError" in res.json["error"]


def test_wrong_method_is_json_405() -> None:
    res = app.test_client().post("/api/cron")
    assert res.status_code == 405 and "error" in res.json
