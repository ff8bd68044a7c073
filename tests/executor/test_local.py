"""`python -m lib.local` (make dev): executor and functions in one command, stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import requests

from lib.config import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_dev_starts_both_and_ctrl_c_stops_them(sqlite_url: str) -> None:
    port, executor_port = _free_port(), _free_port()
    env = {**os.environ, "DATABASE_URL": sqlite_url, "PYTHONUNBUFFERED": "1"}
    env.pop("INNGEST_SIGNING_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lib.local", "--port", str(port), "--executor-port", str(executor_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        while not any("runs:" in line for line in lines):
            line = proc.stdout.readline()
            assert line, f"lib.local exited early: {lines}"
            lines.append(line)
        assert f"http://127.0.0.1:{executor_port}/runs" in lines[-1]
        page = requests.get(f"http://127.0.0.1:{executor_port}/runs", timeout=10)
        assert page.status_code == 200
        # The functions server is up and its serve endpoint was PUT (registered, or refused with a reason).
        put = requests.put(f"http://127.0.0.1:{port}/api/inngest", timeout=10)
        assert put.status_code in (200, 500)
        functions = requests.get(f"http://127.0.0.1:{executor_port}/v1/functions", timeout=10).json()["data"]
        if put.status_code == 200:
            assert all(f["url"].startswith(f"http://127.0.0.1:{port}/api/inngest") for f in functions)
            assert functions
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
