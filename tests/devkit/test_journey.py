"""The whole journey through `make dev`'s own entry point, in a real headless Chromium.

`python -m devkit dev` runs as a subprocess on free ports with its own data dir and
SQLite database and nothing else set; `python -m devkit customer` writes in; the
approval link it prints opens in Chromium; one click approves; the refund appears in
the sandbox Stripe, the draft and the teammate comment in the sandbox Front. Then
the runs page is checked on a screenshot, and a restart keeps the sandboxes' state.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

from tests.approvals.test_browser import browser  # noqa: F401 - the Chromium fixture

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Settings that would replace a sandbox or change the run: the journey starts with none of them.
CLEARED = ("DATABASE_URL", "FRONT_API_TOKEN", "FRONT_API_BASE_URL", "FRONT_APP_SECRET", "FRONT_API_SECRET", "STRIPE_SECRET_KEY",
           "STRIPE_API_BASE", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "SLACK_CHANNEL",
           "APPROVALS_SECRET", "PUBLIC_BASE_URL", "INNGEST_DEV", "INNGEST_BASE_URL", "INNGEST_SIGNING_KEY",
           "INNGEST_EVENT_KEY", "INNGEST_EXECUTOR_TIME_SCALE", "VERCEL_ENV", "VERCEL_URL")


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Dev:
    """`python -m devkit dev` in a subprocess; its output collected line by line."""

    def __init__(self, data_dir: Path, ports: list[int]) -> None:
        self.data_dir = data_dir
        self.ports = dict(zip(("functions", "executor", "front", "stripe", "product"), ports))
        self.env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        self.env["DATABASE_URL"] = f"sqlite:///{data_dir / 'support.db'}"
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self) -> "Dev":
        args = [sys.executable, "-m", "devkit", "dev", "--data-dir", str(self.data_dir),
                "--port", str(self.ports["functions"]), "--executor-port", str(self.ports["executor"]),
                "--front-port", str(self.ports["front"]), "--stripe-port", str(self.ports["stripe"]),
                "--product-port", str(self.ports["product"])]
        self.lines = []
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        self.wait_for(lambda: any(line.startswith("Try it:") for line in self.lines), "the banner", 90)
        return self

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, predicate: Callable[[], Any], what: str, timeout: float = 60) -> Any:
        """Poll until `predicate` is truthy (a wait, not a speed check)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(f"devkit dev exited ({self.process.returncode}) while waiting for {what}:\n" + "\n".join(self.lines))
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}; devkit dev said:\n" + "\n".join(self.lines))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def devkit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "devkit", *args, "--data-dir", str(self.data_dir)], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=180)

    def sandbox_state(self, name: str) -> dict[str, Any]:
        return requests.get(f"{self.url(name)}/_sandbox/state", timeout=10).json()


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    running = Dev(tmp_path / "data", _free_ports(5))
    try:
        yield running.start()
    finally:
        running.stop()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_make_dev_customer_approve_refund_in_the_sandboxes(dev: Dev, browser: Any, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    banner = "\n".join(dev.lines)
    for expected in (f"{dev.url('executor')}/runs", f"{dev.url('functions')}/api/approvals?key=", f"{dev.url('front')}/"):
        assert expected in banner
    assert re.search(r"Front\s+sandbox", banner) and re.search(r"Stripe\s+sandbox", banner)

    customer = dev.devkit("customer", "I'd like a refund for Acme Pro")
    assert customer.returncode == 0, customer.stdout + customer.stderr
    conversation = re.search(r"wrote in (cnv_\w+)", customer.stdout).group(1)
    link = re.search(r"waiting for approval of (act_\w+): (\S+)", customer.stdout)
    assert link, customer.stdout
    action_id, url = link.group(1), link.group(2)
    assert url.startswith(dev.url("functions") + "/api/approvals?")

    browser.get(url)
    assert "I'd like a refund for Acme Pro" in browser.find_element(By.CSS_SELECTOR, ".customer-message").text
    refund = browser.find_element(By.CSS_SELECTOR, ".refund").text
    assert "49.00 USD" in refund and "Acme Pro" in refund
    assert "refund of $49.00 for Acme Pro" in browser.find_element(By.CSS_SELECTOR, ".draft-reply").text
    browser.find_element(By.NAME, "approver").send_keys("Pat")
    browser.find_element(By.CSS_SELECTOR, "button.approve").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "message"))
    assert browser.title == "Refund approved"

    refunds = dev.wait_for(lambda: dev.sandbox_state("stripe")["refunds"], "the refund in the sandbox Stripe")
    assert [(r["payment_intent"], r["amount"], r["currency"]) for r in refunds] == [("pi_sandbox_1001", 4900, "usd")]
    assert refunds[0]["metadata"]["action_id"] == action_id
    front = dev.wait_for(lambda: (lambda s: s if any(refunds[0]["id"] in c["body"] for c in s["comments"]) else None)(
        dev.sandbox_state("front")), "the refund comment in the sandbox Front")
    assert [d["conversation_id"] for d in front["drafts"]] == [conversation]
    assert "refund of $49.00 for Acme Pro" in front["drafts"][0]["body"]
    # The demo app may auto-send, so the draft's comment says why this one will not be: refunds have no trust yet.
    gate, comment = front["comments"]
    assert "will not send this draft automatically: refund has 0 of the 20 teammate replies" in gate["body"]
    assert comment["conversation_id"] == conversation and "refund" in comment["body"] and refunds[0]["id"] in comment["body"]
    dev.wait_for(lambda: any("process-refund" in line and "completed" in line for line in dev.lines), "the narrated refund")
    narration = "\n".join(dev.lines)
    assert "\x1b[" not in narration, "no colours when not on a TTY"
    assert "HTTP/1.1" not in narration, "no request logs"

    # The runs page, on a screenshot: every run one compact row, no horizontal scrollbar, a row opens to its steps.
    runs = requests.get(f"{dev.url('executor')}/v1/runs", timeout=10).json()["data"]
    browser.get(f"{dev.url('executor')}/runs")
    rows = browser.find_elements(By.CSS_SELECTOR, "details.run")
    shot = tmp_path / "runs.png"
    assert browser.save_screenshot(str(shot))
    assert _png_size(shot)[0] >= 1000
    assert len(rows) == len(runs) >= 4
    assert max(row.size["height"] for row in rows) < 90, "a closed run is one short row"
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    refund_row = next(row for row in rows if "process-refund" in row.text)
    refund_row.find_element(By.TAG_NAME, "summary").click()
    assert "stripe-refund" in refund_row.text and "Completed" in refund_row.text
    assert browser.save_screenshot(str(tmp_path / "runs-open.png"))

    # A teammate answers: the outbound webhook starts record-human-reply, which the command follows to its end.
    teammate = dev.devkit("teammate-reply", "--conversation", conversation, "Refunded, sorry again!")
    assert teammate.returncode == 0, teammate.stdout + teammate.stderr
    assert re.search(r"record-human-reply \w+  completed", teammate.stdout), teammate.stdout
    front = dev.sandbox_state("front")
    outbound = [front["messages"][m] for m in front["conversations"][conversation]["message_ids"] if not front["messages"][m]["is_inbound"]]
    assert [m["text"] for m in outbound] == ["Refunded, sorry again!"]
    assert {"handle": "casey@example.com", "role": "to", "name": None} in outbound[0]["recipients"]

    # A restart keeps the sandboxes' state (and the run history).
    dev.stop()
    dev.start()
    assert [r["id"] for r in dev.sandbox_state("stripe")["refunds"]] == [refunds[0]["id"]]
    assert dev.sandbox_state("stripe")["payments"]["pi_sandbox_1001"]["refunded"] == 4900
    assert [c["id"] for c in dev.sandbox_state("front")["comments"]] == [gate["id"], comment["id"]]
