"""Serve a WSGI app on 127.0.0.1 in a background thread, for the length of a test."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Callable

from werkzeug.serving import BaseWSGIServer, make_server


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
