"""Serve a WSGI app on 127.0.0.1 in a background thread, for the length of a test."""

from __future__ import annotations

import os
import threading
import time
from types import TracebackType
from typing import Any, Callable, Mapping

from werkzeug.serving import BaseWSGIServer, make_server


def wait_until(predicate: Callable[[], Any], timeout: float, describe: Callable[[], str] = lambda: "", interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy and return that (a wait, never a speed check)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s{describe()}")
        time.sleep(interval)


class EnvSwap:
    """Point settings at a fake for a while, then put the environment back exactly as it was."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, values: Mapping[str, str | None]) -> None:
        """Set each variable (None unsets it), remembering the value it had before the first change."""
        for key, value in values.items():
            self._saved.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved = {}


class LocalServer:
    """`with LocalServer(app) as server: requests.get(server.url + "/x")`."""

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"fake-{port}", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self.stop()
