"""Run every `api/*.py` function in one local WSGI server, routed by path as Vercel would.

`python -m devkit.devserver [--port 3000]`. Each module's Flask `app` is mounted at
`/api/<module>`; the apps define their full paths themselves, so the dispatcher
passes the path through unchanged.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from typing import Any, Callable, Iterable

from lib.config import ROOT

API_DIR = ROOT / "api"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def api_modules() -> list[str]:
    return sorted(p.stem for p in API_DIR.glob("*.py") if not p.name.startswith("_"))


class PathDispatcher:
    """Sends `/api/<name>...` to `api.<name>.app`, keeping the full path (as Vercel does)."""

    def __init__(self, apps: dict[str, WSGIApp]) -> None:
        self.apps = apps

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        parts = path.split("/")
        if len(parts) >= 3 and parts[1] == "api" and parts[2] in self.apps:
            return self.apps[parts[2]](environ, start_response)
        body = b'{"error": "no function serves this path"}'
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def build_app(names: Iterable[str] | None = None) -> PathDispatcher:
    apps = {name: importlib.import_module(f"api.{name}").app for name in (names or api_modules())}
    return PathDispatcher(apps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from waitress import serve

    serve(build_app(), host=args.host, port=args.port, threads=16)  # keeps connections alive (devkit/sandbox/server.py)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
