"""Run inngest-py's dev-server suite against the offline executor and print per-test results.

See `devkit/conformance/__init__.py` and the README's "Offline executor" section.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from devkit.conformance.expected import expected_reason

# The dev-server suites the issue names (Connect excluded: it needs the Connect gateway).
DEFAULT_PATHS = (
    # First: test_send.py's retry test leaves ~0.25 s for two Event API round trips through its
    # single-threaded proxy (it still fails in the full run; alone, these tests all pass).
    "tests/test_inngest/test_client",
    "tests/test_inngest/test_function/test_flask.py",
    "tests/test_inngest/test_function/test_fast_api.py",
    "tests/test_inngest/test_function/test_django.py",
    "tests/test_inngest/test_function/test_digital_ocean.py",
    "tests/test_inngest/test_registration",
    "tests/test_inngest/test_serve",
    "tests/test_inngest_encryption",
)
SOURCE_DIRS = ("pkg/inngest", "pkg/inngest_encryption", "pkg/test_core", "tests")
NEEDS_BASE_URL = "tests/test_inngest/test_serve"


def _results(junit: Path) -> list[tuple[str, str, str]]:
    """(node id, outcome, message) per test case of a JUnit XML report."""
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        nodeid = f"{case.get('classname')}::{case.get('name')}"
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if failure is not None:
            out.append((nodeid, "failed", (failure.get("message") or "").splitlines()[0][:160] if failure.get("message") else ""))
        elif case.find("skipped") is not None:
            out.append((nodeid, "skipped", ""))
        else:
            out.append((nodeid, "passed", ""))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devkit.conformance", description=__doc__)
    parser.add_argument("checkout", type=Path, help="a checkout (work tree) of inngest/inngest-py")
    parser.add_argument("--python", default=sys.executable, help="interpreter with the suite's dependencies")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression")
    parser.add_argument("--junit", type=Path, help="keep the JUnit XML reports here (NAME-0.xml, NAME-1.xml)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds for the whole suite")
    parser.add_argument("paths", nargs="*", help="test paths inside the checkout (default: the dev-server suites)")
    args = parser.parse_intermixed_args(argv)
    checkout: Path = args.checkout.resolve()
    if not (checkout / "pkg/inngest/inngest").is_dir():
        parser.error(f"{checkout} is not a checkout of inngest-py (no pkg/inngest/inngest)")

    import logging

    from devkit.conformance import gql
    from devkit.executor import Executor

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns the results

    workdir = Path(tempfile.mkdtemp(prefix="conformance-"))
    junit = args.junit or workdir / "junit.xml"
    executor = Executor(database_url=f"sqlite:///{workdir / 'executor.db'}", time_scale=1.0, signing_key="", signing_key_fallback="")
    gql.add_routes(executor.app, executor.engine)
    executor.start(port=0)
    port = executor.url.rsplit(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("INNGEST_")}
    env.update({
        "DEV_SERVER_ENABLED": "0",  # inngest-py's dev_server helper: do not start inngest-cli
        "DEV_SERVER_PORT": port,  # ... and talk to this port instead
        "PYTHONPATH": os.pathsep.join(str(checkout / d) for d in SOURCE_DIRS),
    })
    paths = list(args.paths or DEFAULT_PATHS)
    # Two runs: the serve tests make clients without base URLs, which would go to the dev server's
    # default :8288, so they get the SDK's INNGEST_BASE_URL; the others must not (the registration
    # tests assert the default Cloud origins).
    groups = [([p for p in paths if not p.startswith(NEEDS_BASE_URL)], {}),
              ([p for p in paths if p.startswith(NEEDS_BASE_URL)], {"INNGEST_BASE_URL": executor.url})]
    reports = []
    try:
        for index, (group, extra) in enumerate(g for g in groups if g[0]):
            report = junit.with_name(f"{junit.stem}-{index}{junit.suffix}")
            command = [args.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o", "addopts=", f"--junitxml={report}", *group]
            if args.keyword:
                command += ["-k", args.keyword]
            print(f"executor on {executor.url}; running: {' '.join(command)}", flush=True)
            subprocess.run(command, cwd=checkout, env={**env, **extra}, timeout=args.timeout, stdout=sys.stderr, check=False)
            reports.append(report)
    finally:
        executor.stop()
    if not any(r.exists() for r in reports):
        print("the suite produced no report", file=sys.stderr)
        return 2

    counts = {"passed": 0, "failed": 0, "expected": 0, "skipped": 0}
    for nodeid, outcome, message in (r for report in reports if report.exists() for r in _results(report)):
        reason = expected_reason(nodeid)
        if outcome == "failed" and reason:
            outcome, message = "expected", reason
        counts[outcome] += 1
        print(f"{outcome.upper():8} {nodeid}" + (f"  ({message})" if message else ""))
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['expected']} expected failures (declared gaps), {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
