"""Where a benchmark run keeps its things: temp databases, server logs, child processes.

Databases are SQLite files in a temp directory (removed at the end), migrated with
`lib.db.migrate.upgrade`; `.data/` is never touched. Logs of the processes a
benchmark starts go to `bench/.work/logs/` (git-ignored, cleared each run) so a
failure can be read afterwards. Child processes get a minimal environment: only
what the benchmark sets, never the caller's service settings.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lib.config import ROOT, VARIABLES

WORK = ROOT / "bench" / ".work"
LOGS = WORK / "logs"
PYTHON = sys.executable


class BenchError(RuntimeError):
    """A benchmark could not run (a server did not start, a run did not finish...)."""


def scrub_service_env() -> None:
    """Drop every service setting from this process's environment, so the caller's shell cannot leak in."""
    for variable in VARIABLES:
        os.environ.pop(variable.name, None)


def child_env(**settings: str) -> dict[str, str]:
    """A minimal environment for a child process: PATH, HOME, the repo on PYTHONPATH, plus `settings`."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update({"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    env.update(settings)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Workspace:
    """One benchmark run's temp directory and log directory."""

    def __init__(self) -> None:
        if LOGS.exists():
            shutil.rmtree(LOGS)
        LOGS.mkdir(parents=True)
        self.tmp = Path(tempfile.mkdtemp(prefix="support-bench-"))
        self._processes: list[subprocess.Popen[bytes]] = []

    def new_database(self, name: str) -> str:
        """A fresh, migrated SQLite database; its URL."""
        from lib.db.migrate import upgrade

        url = f"sqlite:///{self.tmp / f'{name}.db'}"
        upgrade(url)
        return url

    def log(self, name: str) -> Path:
        return LOGS / f"{name}.log"

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start a child with stdout and stderr in `bench/.work/logs/<name>.log`."""
        with self.log(name).open("wb") as out:
            proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._processes.append(proc)
        return proc

    def wait_for_line(self, name: str, proc: subprocess.Popen[bytes], pattern: str, timeout: float = 60) -> re.Match[str]:
        """Wait until the child's log has a line matching `pattern`; the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log(name).read_text(errors="replace")
            for line in text.splitlines():
                found = regex.search(line)
                if found:
                    return found
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        raise BenchError(f"{name} did not print {pattern!r} (exit {proc.poll()}); log:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.log(name)
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
        """SIGTERM the child we started, then SIGKILL it if it lingers."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc in self._processes:
            self._processes.remove(proc)

    def close(self) -> None:
        for proc in list(self._processes):
            self.stop(proc)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def wait_http(url: str, timeout: float = 30) -> None:
    """Wait until something answers HTTP at `url` (any status)."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise BenchError(f"nothing answered at {url} within {timeout}s") from None
            time.sleep(0.05)
