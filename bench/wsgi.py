"""One POST handed straight to a WSGI app in this process: no server, no test client, nothing imported.

The serve benchmarks time the app, not an HTTP stack; the cold-start probe imports this
before its clock starts, so the harness costs the app nothing.
"""

from __future__ import annotations

import io
import sys
from typing import Any, Callable


def post(app: Callable[..., Any], path: str, query: str, body: bytes, headers: dict[str, str]) -> tuple[str, bytes]:
    """(status line, body) of the app's answer to a JSON POST with these headers."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    answer: list[str] = []
    chunks = app(environ, lambda status, response_headers, exc_info=None: answer.append(status))
    try:
        return answer[0], b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
