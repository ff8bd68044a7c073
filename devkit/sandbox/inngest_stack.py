"""The offline executor plus a serve endpoint, on 127.0.0.1, for end-to-end workflow tests.

    with InngestStack([my_fn], time_scale=0.01) as stack:
        stack.send("app/thing", {"x": 1})
        [run] = stack.wait_for_run("my-fn")
        assert run["output"] == ...

The executor runs in-process on the current `DATABASE_URL` (set it with the
`database_url`/`sqlite_url` fixtures). `functions` are served with `inngest.flask.serve`
and the project's client at `/api/inngest` (default: `api.inngest.app`, all project
functions); `serve_app` replaces that with your own WSGI app, which must serve
`/api/inngest`. The stack sets `INNGEST_DEV` and `INNGEST_BASE_URL` to the executor,
resets the project's client so it is rebuilt with them, registers via the serve
endpoint's PUT and restores everything on exit. With `signing_key` the executor signs
its requests, `INNGEST_SIGNING_KEY` is set and `INNGEST_DEV=0`, so the serve endpoint
runs in cloud mode and verifies every request. Make functions with `get_client().create_function(...)`
or an `inngest.Inngest(app_id=..., is_production=False)` built inside the `with`, or
pass the client to use for serving as `client=`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Callable

import requests

from devkit.sandbox.server import EnvSwap, LocalServer, wait_until

_ENV_KEYS = (
    "INNGEST_DEV",
    "INNGEST_BASE_URL",
    "INNGEST_API_BASE_URL",
    "INNGEST_EVENT_API_BASE_URL",
    "INNGEST_EVENT_KEY",
    "INNGEST_SIGNING_KEY",
    "INNGEST_SIGNING_KEY_FALLBACK",
    "INNGEST_SERVE_ORIGIN",
)


class InngestStack:
    def __init__(
        self,
        functions: list | None = None,
        *,
        time_scale: float = 1.0,
        signing_key: str | None = None,
        serve_app: Any = None,
        client: Any = None,
        register: bool = True,
        max_event_bytes: int | None = None,
        workers: int = 8,
    ) -> None:
        self.functions = functions
        self.workers = workers
        self.max_event_bytes = max_event_bytes
        self.time_scale = time_scale
        self.signing_key = signing_key
        self._serve_app = serve_app
        self._client = client
        self._register = register
        self._env = EnvSwap()
        self.executor: Any = None
        self.server: LocalServer | None = None
        self.executor_url = ""
        self.serve_url = ""

    # ---- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> "InngestStack":
        from devkit.executor import Executor
        from lib.inngest.client import reset_client

        self._env.set(dict.fromkeys(_ENV_KEYS))
        try:
            self.executor = Executor(time_scale=self.time_scale, signing_key=self.signing_key or "", signing_key_fallback="",
                                     max_event_bytes=self.max_event_bytes, workers=self.workers)
            self.executor.start(port=0)
            self.executor_url = self.executor.url
            self._env.set({
                "INNGEST_DEV": "0" if self.signing_key else self.executor_url,
                "INNGEST_BASE_URL": self.executor_url,
                "INNGEST_EVENT_KEY": "local",
                "INNGEST_SIGNING_KEY": self.signing_key or None,
            })
            reset_client()
            self.server = LocalServer(self._build_serve_app()).start()
            self.serve_url = f"{self.server.url}/api/inngest"
            if self._register:
                self.register()
        except BaseException:
            self._teardown()
            raise
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self._teardown()

    def _teardown(self) -> None:
        from lib.inngest.client import reset_client

        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.executor is not None:
            self.executor.stop()
            self.executor = None
        self._env.restore()
        reset_client()

    def _build_serve_app(self) -> Any:
        if self._serve_app is not None:
            return self._serve_app
        if self.functions is None:
            import importlib

            import api.inngest

            return importlib.reload(api.inngest).app
        import inngest.flask
        from flask import Flask

        from lib.inngest.client import get_client

        app = Flask("inngest-stack")
        inngest.flask.serve(app, self._client or get_client(), self.functions)
        return app

    # ---- talking to the executor ----------------------------------------------------------------

    def register(self) -> Any:
        """PUT the serve endpoint, which registers its functions with the executor, as the cron does."""
        from lib.inngest.sync import sync_app

        result = sync_app(self.serve_url, timeout=30)
        if not result.ok:
            raise AssertionError(f"registration failed: {result.error} {str(result.body)[:500]}")
        return result

    def send(self, name: str, data: dict, id: str | None = None) -> list[str]:
        event: dict[str, Any] = {"name": name, "data": data}
        if id is not None:
            event["id"] = id
        response = requests.post(f"{self.executor_url}/e/local", json=[event], timeout=30)
        response.raise_for_status()
        return response.json()["ids"]

    def runs(self, fn_id: str | None = None) -> list[dict]:
        params = {"function_id": fn_id} if fn_id else {}
        response = requests.get(f"{self.executor_url}/v1/runs", params=params, timeout=30)
        response.raise_for_status()
        return response.json()["data"]

    def run(self, run_id: str) -> dict:
        response = requests.get(f"{self.executor_url}/v1/runs/{run_id}", timeout=30)
        response.raise_for_status()
        return response.json()["data"]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20) -> Any:
        """Poll `predicate` until it returns something truthy; that value is returned."""
        return wait_until(predicate, timeout, lambda: f"; runs: {self._summary()}")

    def wait_for_run(self, fn_id: str, *, status: str = "Completed", count: int = 1, timeout: float = 20) -> list[dict]:
        """The first `count` runs of `fn_id` (oldest first) once that many have `status`.

        Fails early when nothing is running any more and a run ended in another status.
        """

        def check() -> list[dict] | None:
            runs = list(reversed(self.runs(fn_id)))
            done = [r for r in runs if r["status"] == status]
            if len(done) >= count:
                return done[:count]
            wrong = [r for r in runs if r["status"] not in ("Running", status)]
            still_running = any(r["status"] == "Running" for r in runs)
            if wrong and status != "Running" and not still_running:
                raise AssertionError(f"run ended {wrong[0]['status']} while waiting for {status}: {wrong[0]}")
            return None

        return self.wait_for(check, timeout)

    def _summary(self) -> list[dict]:
        try:
            return [{k: r[k] for k in ("id", "function_id", "status", "error")} for r in self.runs()]
        except Exception as exc:  # pragma: no cover - diagnostics only
            return [{"error": str(exc)}]
