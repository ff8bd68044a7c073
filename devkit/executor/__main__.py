"""`python -m devkit.executor [--host 127.0.0.1] [--port 8288] [--time-scale 1] [--max-event-bytes 262144] [--no-migrate]`."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from lib import config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devkit.executor", description="offline Inngest executor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8288)
    parser.add_argument("--time-scale", type=float, default=None, help="multiply sleeps/timeouts/backoff (tests: 0.01)")
    parser.add_argument(
        "--max-event-bytes", type=int, default=None,
        help="largest event accepted, in bytes (default 262144: Inngest's free plan; Basic 524288, Pro 3145728)",
    )
    parser.add_argument("--no-migrate", action="store_true",
                        help="do not apply the service's migrations on start (the executor creates its own tables either way)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from devkit.executor import Executor, time_scale_setting

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.no_migrate:
        from lib.db.migrate import upgrade

        upgrade(config.database_url())
    scale = args.time_scale if args.time_scale is not None else time_scale_setting()
    executor = Executor(time_scale=scale, max_event_bytes=args.max_event_bytes).start(args.host, args.port)
    print(f"executor on http://{args.host}:{executor.port} (runs: /runs), time scale {scale}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    executor.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
