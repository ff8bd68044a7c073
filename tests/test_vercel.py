"""On Vercel: a missing DATABASE_URL is a clear error, and Deployment Protection lets our own automation through."""

from __future__ import annotations

import importlib
import logging
import urllib.parse
from typing import Any, Callable, Iterable, Iterator

import pytest
import requests

from lib import config, vercel
from devkit.sandbox.inngest_stack import InngestStack

SECRET = "bypass-Secr3t/with+chars"


# ---- DATABASE_URL on Vercel ----------------------------------------------------------------------


@pytest.fixture
def on_vercel_without_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from lib.db import reset_db

    monkeypatch.setenv("VERCEL_ENV", "preview")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    reset_db()
    yield
    reset_db()


def test_missing_database_url_on_vercel_names_the_variable(on_vercel_without_database: None) -> None:
    from lib.db import get_db

    with pytest.raises(config.MissingSetting, match="DATABASE_URL is not set") as caught:
        get_db()
    assert caught.value.name == "DATABASE_URL"


def test_missing_database_url_on_vercel_never_makes_a_sqlite_file(
    on_vercel_without_database: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from lib.db import get_db

    monkeypatch.setattr(config, "DEFAULT_SQLITE_PATH", tmp_path / ".data" / "support.db")
    with pytest.raises(config.MissingSetting):
        get_db()
    assert not (tmp_path / ".data").exists()


def test_locally_the_embedded_sqlite_default_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERCEL_ENV", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url().startswith("sqlite:///")


def test_a_function_needing_the_database_says_which_setting(on_vercel_without_database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVALS_SECRET", "k")
    import api.approvals

    res = api.approvals.app.test_client().get("/api/approvals?key=k", headers={"Accept": "application/json"})
    assert res.status_code == 503
    assert "DATABASE_URL is not set" in res.get_data(as_text=True)


def test_a_function_needing_no_database_still_works(on_vercel_without_database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cron only PUTs the serve endpoint: no database, so no error without DATABASE_URL."""
    import api.cron

    monkeypatch.delenv("CRON_SECRET", raising=False)
    monkeypatch.delenv("VERCEL_URL", raising=False)
    monkeypatch.setenv("INNGEST_SYNC_URL", "http://127.0.0.1:9/api/inngest")  # nothing listens: a 502, not a crash
    res = api.cron.app.test_client().get("/api/cron")
    assert res.status_code == 502 and "ConnectionError" in res.json["error"]


# ---- Deployment Protection bypass ---------------------------------------------------------------


def test_public_path_carries_the_bypass_and_the_query_is_repaired(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERCEL_AUTOMATION_BYPASS_SECRET", raising=False)
    assert vercel.inngest_public_path() is None and vercel.bypass_headers() == {}
    monkeypatch.setenv("VERCEL_AUTOMATION_BYPASS_SECRET", SECRET)
    path = vercel.inngest_public_path()
    assert path is not None
    # What inngest-py 0.5.19 registers for a function: the serve URL, "?", then fnId and stepId.
    fn_url = "https://x.vercel.app" + path + "?" + urllib.parse.urlencode({"fnId": "app-fn", "stepId": "step"})
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fn_url).query))
    assert query["x-vercel-protection-bypass"] == SECRET  # exactly what Vercel's edge compares
    assert dict(urllib.parse.parse_qsl(vercel.clean_query(urllib.parse.urlsplit(fn_url).query))) == {
        "fnId": "app-fn", "stepId": "step"}


class ProtectedDeployment:
    """A stand-in for Vercel's edge in front of a protected deployment.

    As Vercel documents (Protection Bypass for Automation), a request passes only with the
    header or the query parameter `x-vercel-protection-bypass` equal to the secret; anything
    else gets 401 before the function runs.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], secret: str) -> None:
        self.app = app
        self.secret = secret
        self.passed: list[tuple[str, str]] = []
        self.refused: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        sent = environ.get("HTTP_X_VERCEL_PROTECTION_BYPASS") or query.get("x-vercel-protection-bypass")
        entry = (environ["REQUEST_METHOD"], environ.get("QUERY_STRING", ""))
        if sent != self.secret:
            self.refused.append(entry)
            start_response("401 Unauthorized", [("Content-Type", "text/html")])
            return [b"<html>Authentication Required</html>"]
        self.passed.append(entry)
        return self.app(environ, start_response)


def test_cron_and_inngest_get_through_deployment_protection(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("VERCEL_AUTOMATION_BYPASS_SECRET", SECRET)
    monkeypatch.delenv("CRON_SECRET", raising=False)
    monkeypatch.delenv("VERCEL_URL", raising=False)
    monkeypatch.delenv("INNGEST_SERVE_PATH", raising=False)
    edge: list[ProtectedDeployment] = []

    def serve_app() -> Any:
        import api.inngest

        edge.append(ProtectedDeployment(importlib.reload(api.inngest).app, SECRET))
        return edge[0]

    stack = InngestStack(time_scale=0.01, signing_key="signkey-test-0123456789abcdef", register=False)
    stack._serve_app = _Lazy(serve_app)
    with stack:
        # Without the header the edge refuses the PUT: the fake is as strict as Vercel.
        assert requests.put(stack.serve_url, timeout=10).status_code == 401
        monkeypatch.setenv("INNGEST_SYNC_URL", stack.serve_url)
        import api.cron

        res = api.cron.app.test_client().get("/api/cron")
        assert res.status_code == 200, res.json
        assert SECRET not in res.get_data(as_text=True)

        functions = requests.get(f"{stack.executor_url}/v1/functions", timeout=10).json()["data"]
        assert functions, "the registration did not reach the executor"
        for fn in functions:
            urls = [fn["url"]] + [s["runtime"]["url"] for s in fn["config"]["steps"].values()]
            for url in urls:
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
                assert query.get("x-vercel-protection-bypass") == SECRET, url

        # The executor calls a function through its registered URL: the edge lets it through and the
        # SDK finds the function (the repaired query names it), so the run gets past its first step.
        stack.send("support/approval.requested", {"actionId": "act_missing", "conversationId": "cnv_1", "appId": "app_1",
                                                   "action": {"type": "refund", "params": {}}, "agentReasoning": "r"})
        stack.wait_for(lambda: [p for p in edge[0].passed if p[0] == "POST"])
        runs = stack.wait_for(lambda: stack.runs("support-workflows-request-approval"))
        assert runs and all("not found" not in str(r.get("error") or "").lower() for r in runs)
        assert not [r for r in edge[0].refused if r[0] == "POST"]

    # Our code's log lines (the service's `support.*` loggers, the SDK's, anything printed) never hold the
    # secret. werkzeug's access log and urllib3's debug lines belong to the stand-ins for Vercel's edge
    # and Inngest in this test, not to anything that runs in a deployed function.
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith(("werkzeug", "urllib3"))]
    assert any(r.name.startswith("support") for r in caplog.records)
    logged = "\n".join(ours) + "".join(capfd.readouterr())
    assert SECRET not in logged and urllib.parse.quote(SECRET, safe="") not in logged


class _Lazy:
    """Build the serve app when the stack asks for it (after it has set the Inngest variables)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.app is None:
            self.app = self.factory()
        return self.app(environ, start_response)
