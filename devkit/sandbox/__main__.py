"""`python -m devkit.sandbox front|stripe|product [--port N] [--data-dir .data]`: one sandbox service on its own."""

from __future__ import annotations

import argparse
import threading

from devkit import settings

PORTS = {"front": settings.DEFAULT_PORTS["front"], "stripe": settings.DEFAULT_PORTS["stripe"], "product": settings.DEFAULT_PORTS["product"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devkit.sandbox", description=__doc__)
    parser.add_argument("service", choices=sorted(PORTS))
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--data-dir", default=None, help="where state lives (default .data)")
    args = parser.parse_args(argv)
    local = settings.LocalSettings.load(settings.data_dir(args.data_dir))
    service = settings.make_sandbox(args.service, local)
    settings.quiet_libraries()
    server = service.serve(args.port or PORTS[args.service])
    print(f"sandbox {args.service} on {server.url}/ (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
