"""The serve function (`api/inngest.py`) in its own process, for the pipeline and memory benchmarks.

    python -m bench.serve_proc [--record]

Serves `api.inngest.app` unchanged on 127.0.0.1 (a free port, printed as
`serving on <port>`), in waitress (threads, kept-alive connections) as a function instance would
run it. Two extra paths outside the app, for the benchmark only:

- `GET /__bench/calls`: with `--record`, every request to the app: start and end
  (wall clock), the run id and the steps its answer reported (`ops`: op and name)
- `GET /__bench/memory`: this process's peak and current RSS (VmHWM, VmRSS, kB)

Without `--record` nothing is kept per request, so the memory benchmark sees
only what the function itself holds on to.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys
from typing import Any, Callable, Iterable

from bench.recorder import Recorder


def _serve_details(request_body: bytes, status: int, response_body: bytes) -> dict[str, Any]:
    """The run a call belonged to and what it reported: StepRun ops, or the final output (200)."""
    run_id = None
    try:
        run_id = ((json.loads(request_body) or {}).get("ctx") or {}).get("run_id")
    except (ValueError, AttributeError):
        pass
    ops: list[dict[str, Any]] = []
    if status == 206:
        try:
            ops = [{"op": op.get("op"), "name": op.get("displayName") or op.get("name")} for op in json.loads(response_body)]
        except (ValueError, AttributeError, TypeError):
            pass
    return {"run_id": run_id, "ops": ops, "final": status == 200}


def memory_kb() -> dict[str, int]:
    """Peak (VmHWM) and current (VmRSS) resident set size of this process, in kB."""
    found: dict[str, int] = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    found[key] = int(value.split()[0])
    except OSError:  # not Linux: ru_maxrss is kB on Linux, bytes on macOS
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        found = {"VmHWM": peak // 1024 if sys.platform == "darwin" else peak}
    return found


def build(record: bool) -> tuple[Callable[..., Iterable[bytes]], Recorder]:
    import api.inngest

    recorder = Recorder()
    app: Any = recorder.wrap("serve", api.inngest.app, _serve_details) if record else api.inngest.app

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/__bench/calls":
            payload = recorder.snapshot()
        elif path == "/__bench/memory":
            payload = memory_kb()  # type: ignore[assignment]
        else:
            return app(environ, start_response)
        body = json.dumps(payload).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return dispatch, recorder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_proc")
    parser.add_argument("--record", action="store_true", help="keep a record of every request (pipeline timing)")
    args = parser.parse_args(argv)

    import logging

    from waitress.server import create_server

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app, _ = build(args.record)
    # As many threads as the executor has workers (8): a bigger pool only adds thread stacks that
    # warm up over the memory benchmark's runs (16 threads: 1.03x, 2 threads: 1.01x, measured).
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"serving on {server.effective_port}", flush=True)
    server.run()  # until SIGTERM: waitress's loop ends on KeyboardInterrupt and stops its threads
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
