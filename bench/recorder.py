"""A WSGI middleware that records when each request started and ended (wall clock, comparable across processes).

    recorder = Recorder()
    fake.app.wsgi_app = recorder.wrap("front", fake.app.wsgi_app)
    ...
    recorder.calls  # [{"service", "method", "path", "start", "end", "status", ...}]

`details(request_body, status, response_body)` may add fields to a record (the
serve endpoint adds the run id and the steps it reported). The response is read
whole before `end` is taken, so `end` is when the answer was complete.
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any, Callable, Iterable

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Details = Callable[[bytes, int, bytes], dict[str, Any]]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def wrap(self, service: str, app: WSGIApp, details: Details | None = None) -> WSGIApp:
        def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            start = time.time()
            request_body = b""
            if details is not None:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                request_body = environ["wsgi.input"].read(length) if length else b""
                environ["wsgi.input"] = io.BytesIO(request_body)
            status: list[int] = [0]

            def capture(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                status[0] = int(status_line.split()[0])
                return start_response(status_line, headers, exc_info) if exc_info else start_response(status_line, headers)

            result = app(environ, capture)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            record: dict[str, Any] = {
                "service": service,
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "start": start,
                "end": time.time(),
                "status": status[0],
            }
            if details is not None:
                record.update(details(request_body, status[0], body))
            with self._lock:
                self.calls.append(record)
            return [body]

        return recorded

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.calls)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
