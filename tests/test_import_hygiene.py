"""Importing a Vercel function opens no socket, touches no database and skips SDKs it does not need."""

import json
import subprocess
import sys

import pytest

from lib.config import ROOT
from devkit.devserver import api_modules

HEAVY = {"openai", "stripe", "sqlalchemy"}
# What each function may import at module level, because its requests always need it.
NEEDS: dict[str, set[str]] = {}

PROBE = r"""
import json, socket, sqlite3, sys

class NetworkDuringImport(OSError):
    pass

def refuse(*args, **kwargs):
    raise NetworkDuringImport("a socket or database connection was opened during import")

socket.socket.__init__ = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
sqlite3.connect = refuse

import importlib
module = importlib.import_module(sys.argv[1])
assert hasattr(module, "app"), "a Vercel function must expose a module-level `app`"
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {"openai", "stripe", "sqlalchemy", "inngest"})))
"""


def _import_in_fresh_interpreter(module: str) -> set[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, module], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {name.split(".")[0] for name in json.loads(proc.stdout.strip().splitlines()[-1])}


def test_every_function_is_covered() -> None:
    assert {"inngest", "cron"} <= set(api_modules())


@pytest.mark.parametrize("name", api_modules())
def test_import_opens_nothing_and_skips_unneeded_sdks(name: str) -> None:
    loaded = _import_in_fresh_interpreter(f"api.{name}")
    assert loaded & HEAVY <= NEEDS.get(name, set()), f"api/{name}.py imported {sorted(loaded & HEAVY)}"


def test_the_probe_would_catch_a_connection() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.replace("module = importlib.import_module(sys.argv[1])", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9')"), "x"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0 and "NetworkDuringImport" in proc.stderr


def test_front_webhook_imports_neither_inngest_nor_sqlalchemy() -> None:
    """The webhook answers Front on a cold start: the SDK and the ORM load on the first request, not at import."""
    loaded = _import_in_fresh_interpreter("api.front")
    assert not loaded & {"inngest", "sqlalchemy", "openai", "stripe"}, sorted(loaded)


def test_serve_function_registers_without_the_steps_heavy_sdks() -> None:
    """`api/inngest.py` registers every function (ids, triggers, options) on a cold start; the SDKs a step
    needs (the ORM, OpenAI, Stripe) load when that step runs, so a call for another step never pays for them."""
    loaded = _import_in_fresh_interpreter("api.inngest")
    assert "inngest" in loaded
    assert not loaded & {"sqlalchemy", "openai", "stripe"}, sorted(loaded)


def test_stripe_webhook_imports_no_sdk_until_a_request() -> None:
    """`api/stripe.py` verifies with the stripe SDK, imported on the first delivery, not at cold start."""
    loaded = _import_in_fresh_interpreter("api.stripe")
    assert not loaded & {"inngest", "sqlalchemy", "openai", "stripe"}, sorted(loaded)
