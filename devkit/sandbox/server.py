"""Serve a WSGI app on 127.0.0.1 in a background thread, for the length of a test (or of `make dev`)."""

from __future__ import annotations

import os
import threading
import time
from types import TracebackType
from typing import Any, Callable, Mapping


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
    """`with LocalServer(app) as server: requests.get(server.url + "/x")`.

    Served by waitress, not werkzeug's development server: werkzeug closes the connection after
    every response ("Always close the connection. This disables HTTP/1.1 keep-alive connections",
    werkzeug/serving.py), so each call paid a TCP connect and a new server thread, while the
    clients here (requests, httpx, the SDKs) keep connections alive, as the real services let them.
    `threads` bounds the requests answered at once; fakes hold some open on purpose (delays, hangs).

    `closes_connections=True` keeps werkzeug's server for a fake that must drop a connection
    without answering: only werkzeug hands the app its socket (`werkzeug.socket`).
    """

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0, threads: int = 16,
                 *, closes_connections: bool = False) -> None:
        self.app = app
        self._server: Any
        if closes_connections:
            from werkzeug.serving import make_server

            self._server = make_server(host, port, app, threaded=True)
            self._port, run = self._server.server_port, self._server.serve_forever
        else:
            from waitress.server import create_server

            self._server = create_server(app, host=host, port=port, threads=threads, ident="local")
            self._port, run = int(self._server.effective_port), self._server.run
        self._werkzeug = closes_connections
        self._thread = threading.Thread(target=run, name=f"local-server-{self._port}", daemon=True)

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._werkzeug:
            if self._thread.ident is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
            self._server.server_close()
            return
        # Waitress: close the listening socket and every open connection on the server's own loop
        # thread (through its trigger), where waitress expects it; the loop ends once nothing is
        # left to watch. Then the worker threads go.
        server = self._server

        def close_everything() -> None:
            for dispatcher in list(server._map.values()):  # connections, the listening socket, the trigger
                dispatcher.close()

        if self._thread.is_alive():
            try:
                server.trigger.pull_trigger(close_everything)
            except OSError:  # its trigger already closed
                close_everything()
        else:  # never started, or its loop already ended
            close_everything()
        if self._thread.ident is not None:
            self._thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=1)

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self.stop()
