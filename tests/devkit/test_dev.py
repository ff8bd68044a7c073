"""`python -m devkit dev` (make dev): sandboxes, executor and functions in one command, stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from lib.config import ROOT


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def test_make_dev_starts_everything_registers_the_demo_app_and_ctrl_c_stops_it(sqlite_url: str, tmp_path: Path) -> None:
    port, executor_port, front, stripe, product = _free_ports(5)
    env = {**os.environ, "DATABASE_URL": sqlite_url, "PYTHONUNBUFFERED": "1"}
    for name in ("INNGEST_SIGNING_KEY", "FRONT_API_TOKEN", "STRIPE_SECRET_KEY", "OPENAI_API_KEY", "APPROVALS_SECRET", "FRONT_APP_SECRET"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "devkit", "dev", "--data-dir", str(tmp_path), "--port", str(port), "--executor-port", str(executor_port),
         "--front-port", str(front), "--stripe-port", str(stripe), "--product-port", str(product)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("Try it:") for line in lines):
            line = proc.stdout.readline()
            assert line, f"devkit dev exited early: {lines}"
            lines.append(line)
        banner = "".join(lines)
        assert f"http://127.0.0.1:{executor_port}/runs" in banner
        assert f"http://127.0.0.1:{port}/api/approvals?key=" in banner
        assert f"http://127.0.0.1:{port}/api/dashboard?key=" in banner
        assert "Traceback" not in banner and "HTTP/1.1" not in banner
        assert requests.get(f"http://127.0.0.1:{executor_port}/runs", timeout=10).status_code == 200
        functions = requests.get(f"http://127.0.0.1:{executor_port}/v1/functions", timeout=10).json()["data"]
        assert functions and all(f["url"].startswith(f"http://127.0.0.1:{port}/api/inngest") for f in functions)
        for sandbox in (front, stripe, product):
            assert requests.get(f"http://127.0.0.1:{sandbox}/", timeout=10).status_code == 200
        dashboard = next(word for word in banner.split() if "/api/dashboard?key=" in word)
        page = requests.get(dashboard, timeout=30)
        assert page.status_code == 200 and 'id="app-acme"' in page.text  # the demo app, on the dashboard the banner names
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
