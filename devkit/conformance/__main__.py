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

# The whole dev-server suite (issue 20: 283 tests at inngest-py 305bc6a): every directory of
# tests/test_inngest and tests/test_inngest_encryption; test_client sorts first, while the
# executor is still idle. Connect is excluded: it needs the Connect gateway.
DEFAULT_PATHS = ("tests/test_inngest", "tests/test_inngest_encryption")
EXCLUDED = ("tests/test_inngest/test_connect", "tests/test_inngest/test_function/test_connect.py")
DEV_SERVER_MAX_EVENT_BYTES = 3 * 1024 * 1024
SOURCE_DIRS = ("pkg/inngest", "pkg/inngest_encryption", "pkg/test_core", "tests")
# Tests whose clients get no base URL (so they would go to the dev server's default :8288):
# they run in a second pytest with INNGEST_BASE_URL; the others must not have it (the
# registration tests assert the default Cloud origins).
NEEDS_BASE_URL = (
    "tests/test_inngest/test_serialization",
    "tests/test_inngest/test_serve",
    "tests/test_inngest/test_server_timings",
)


def _inside(path: str, directory: str) -> bool:
    """Whether a test path (maybe with `::name`) is `directory` or lies under it."""
    parts, dir_parts = Path(path.split("::")[0]).parts, Path(directory).parts
    return parts[: len(dir_parts)] == dir_parts


def plan_runs(paths: list[str]) -> list[tuple[list[str], bool]]:
    """The pytest runs for `paths`: (arguments, needs INNGEST_BASE_URL), empty runs left out."""
    plain: list[str] = []
    with_base: list[str] = []
    for path in paths:
        if any(_inside(path, d) for d in NEEDS_BASE_URL):
            with_base.append(path)
            continue
        plain.append(path)
        inner = [d for d in NEEDS_BASE_URL if _inside(d, path)]
        plain += [f"--ignore={d}" for d in inner]
        with_base += [d for d in inner if d not in with_base]
    ignore = [f"--ignore={e}" for e in EXCLUDED]
    runs = [(plain, False), (with_base, True)]
    return [(group + ignore, base) for group, base in runs if any(not a.startswith("--") for a in group)]


def describe_checkout(checkout: Path) -> str:
    """`inngest-py <commit>, SDK <version>`: which suite the figures are for."""
    import re

    try:
        commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "(not a git work tree)"
    found = re.search(r'^version = "([^"]+)"', (checkout / "pkg/inngest/pyproject.toml").read_text(), re.MULTILINE)
    return f"inngest-py {commit}, SDK {found.group(1) if found else '(unknown version)'}"


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
    # The suite is the dev server's: its Event API takes events up to 3 MiB (consts.AbsoluteMaxEventSize,
    # see devkit/executor/event_size.py), where the executor's default is the free plan's 256 KiB.
    executor = Executor(
        database_url=f"sqlite:///{workdir / 'executor.db'}", time_scale=1.0, signing_key="", signing_key_fallback="",
        max_event_bytes=DEV_SERVER_MAX_EVENT_BYTES,
    )
    gql.add_routes(executor.app, executor.engine)
    executor.start(port=0)
    port = executor.url.rsplit(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("INNGEST_")}
    env.update({
        "DEV_SERVER_ENABLED": "0",  # inngest-py's dev_server helper: do not start inngest-cli
        "DEV_SERVER_PORT": port,  # ... and talk to this port instead
        "PYTHONPATH": os.pathsep.join(str(checkout / d) for d in SOURCE_DIRS),
    })
    runs = plan_runs(list(args.paths or DEFAULT_PATHS))
    reports = []
    try:
        for index, (group, needs_base_url) in enumerate(runs):
            extra = {"INNGEST_BASE_URL": executor.url} if needs_base_url else {}
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
    total = sum(counts.values())
    print(f"{describe_checkout(checkout)}; {total} tests: {counts['passed']} passed, {counts['failed']} failed, {counts['expected']} expected failures (declared gaps), {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
