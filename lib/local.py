"""`make dev`: the whole service locally: offline executor on :8288, api/ functions on :3000.

    python -m lib.local [--port 3000] [--executor-port 8288] [--time-scale 1]

Applies migrations (SQLite at .data/support.db unless `DATABASE_URL`), starts the
executor, points the functions at it (`INNGEST_DEV=<executor url>`, set before the
api modules make their Inngest client), serves every `api/*.py` app, registers the
functions by PUTting http://127.0.0.1:<port>/api/inngest (retrying until it answers)
and prints where the runs page is (a registration the endpoint refuses is
reported and the servers keep running, so you can fix it and PUT again). Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time

from lib import config

REGISTER_ATTEMPTS = 50


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.local", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="api/ functions")
    parser.add_argument("--executor-port", type=int, default=8288)
    parser.add_argument("--time-scale", type=float, default=None, help="shorten sleeps/timeouts (default 1 or INNGEST_EXECUTOR_TIME_SCALE)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from werkzeug.serving import make_server

    from lib import devserver
    from lib.db.migrate import upgrade
    from lib.executor import Executor
    from lib.inngest.client import reset_client
    from lib.inngest.sync import sync_app

    upgrade(config.database_url())
    signal.signal(signal.SIGTERM, _interrupt)
    executor = Executor(time_scale=args.time_scale).start(args.host, args.executor_port)
    executor_url = f"http://{args.host}:{args.executor_port}"
    os.environ["INNGEST_DEV"] = executor_url  # before api.inngest makes its client
    reset_client()
    functions = make_server(args.host, args.port, devserver.build_app(), threaded=True)
    thread = threading.Thread(target=functions.serve_forever, name="api-functions", daemon=True)
    thread.start()
    serve_url = f"http://{args.host}:{args.port}/api/inngest"
    try:
        result = sync_app(serve_url, timeout=10)
        for attempt in range(REGISTER_ATTEMPTS):  # retry only while the endpoint is not up yet
            if result.ok or result.status is not None:
                break
            time.sleep(min(0.2 * (attempt + 1), 2))
            result = sync_app(serve_url, timeout=10)
        if not result.ok:
            print(f"WARNING: registering {serve_url} failed: {result.error}; fix it and PUT that URL again", flush=True)
        print(f"functions on http://{args.host}:{args.port}/api/..., executor on {executor_url}", flush=True)
        print(f"runs: {executor_url}/runs   (Ctrl-C stops both)", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        functions.shutdown()
        functions.server_close()
        executor.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
