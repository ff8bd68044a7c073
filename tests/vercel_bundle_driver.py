"""Run one Vercel function bundle as the platform would, and serve it over HTTP on 127.0.0.1.

Started by tests/test_vercel_build.py as `python3.12 -I -S <this file>` with the bundle as cwd,
so nothing but the standard library and the bundle is importable: -I drops PYTHONPATH, the
user site and this script's folder, -S the interpreter's site-packages. Like AWS Lambda, the
task root (the bundle) goes first on sys.path, then the bundle's own entry module
`vc__handler__python` is imported: it adds `_vendor` and imports `vercel_runtime.vc_init`,
which imports the function (a crash there is the cold-start crash Vercel would show).

`vc_init` has two modes. With `VERCEL_IPC_PATH` set it runs an HTTP server that talks to
Vercel's private IPC socket, which cannot be driven offline; without it, it defines
`vc_handler(event, context)`, the Lambda entry point taking `{"body": json({method, path,
headers, body, encoding})}` and answering `{statusCode, headers, body, encoding}`. That one
is driven here: the same WSGI adapter, the same module, the same vendored packages.

In front of it stands a stand-in for Vercel's edge with Deployment Protection on: when
`VERCEL_AUTOMATION_BYPASS_SECRET` is set, a request passes only with the header or query
parameter `x-vercel-protection-bypass` equal to it, as Vercel documents (Protection Bypass
for Automation); anything else is a 401 that never reaches the function.

Prints one JSON line once serving: {"port", "sys_path", "modules"}; then serves until killed.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.parse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.getcwd()
sys.path.insert(0, ROOT)

import vc__handler__python as entry  # noqa: E402  (the bundle's own handler module)

SECRET = os.environ.get("VERCEL_AUTOMATION_BYPASS_SECRET")
BYPASS = "x-vercel-protection-bypass"
ONE_AT_A_TIME = threading.Lock()  # an instance handles one request at a time, as on Lambda


class Edge(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        if SECRET and SECRET not in (self.headers.get(BYPASS), query.get(BYPASS)):
            self._answer(401, {"content-type": ["text/html"]}, b"<html>Authentication Required</html>")
            return
        payload = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": base64.b64encode(body).decode(),
            "encoding": "base64",
        }
        with ONE_AT_A_TIME:
            result = entry.vc_handler({"body": json.dumps(payload)}, None)
        data = result.get("body") or ""
        raw = base64.b64decode(data) if result.get("encoding") == "base64" else data.encode()
        self._answer(result["statusCode"], result.get("headers") or {}, raw)

    def _answer(self, status: int, headers: dict[str, list[str]], raw: bytes) -> None:
        self.send_response(status)
        for key, values in headers.items():
            if key.lower() in ("content-length", "transfer-encoding", "connection"):
                continue
            for value in values if isinstance(values, list) else [values]:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # the access log would print the query parameter with the secret


server = ThreadingHTTPServer(("127.0.0.1", 0), Edge)
print(json.dumps({
    "port": server.server_address[1],
    "sys_path": sys.path,
    "modules": {name: getattr(sys.modules.get(name), "__file__", None) for name in ("flask", "werkzeug", "lib", "api")},
}), flush=True)
server.serve_forever()
