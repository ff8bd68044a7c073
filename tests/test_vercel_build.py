"""The project built the way Vercel builds it, and each function answered from its own bundle.

`vercel build` (the CLI pinned below, whose Python builder is @vercel/python 6.56.2) runs
offline on a copy of the repository with a hand-written `.vercel/project.json`. Then each
function's bundle (`.vercel/output/functions/api/<name>.func`, whose `.vc-config.json` maps
every file it holds) is laid out in its own folder and run by a clean Python 3.12
(`tests/vercel_bundle_driver.py`: `-I -S`, nothing of the project's venv or work tree on the
path) through the bundle's own handler, behind a stand-in for Vercel's edge with Deployment
Protection on. The probes below then talk to them over HTTP as Front, Slack, Vercel Cron,
an approver and Inngest (the offline executor) would.

Needs Node.js and npm (the CLI is installed into a cache outside the repository) and
reaches PyPI (uv, and the functions' dependencies). One build per test session; minutes.
Skipped with the reason when npm is missing, except in CI (`CI` set), where that fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

from lib.config import ROOT

pytestmark = pytest.mark.vercel_build

VERCEL_CLI_VERSION = "58.10.0"
UV_VERSION = "0.13.9"
BUNDLE_LIMIT_BYTES = 250_000_000  # Vercel's limit for a function, uncompressed: 250 MB (the stricter, decimal reading)
DRIVER = ROOT / "tests" / "vercel_bundle_driver.py"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "support-workflows"

BYPASS = "bypass-secret-for-the-build-test"
SIGNING_KEY = "signkey-test-7b1c0ffee0ddba11"
FRONT_SECRET = "front-app-secret-for-the-build-test"
SLACK_SECRET = "slack-signing-secret-for-the-build-test"
APPROVALS_SECRET = "approvals-secret-for-the-build-test"
CRON_SECRET = "cron-secret-for-the-build-test"
STRIPE_WEBHOOK_SECRET = "whsec_for_the_build_test"


def api_functions() -> list[str]:
    """Every Vercel function: `api/*.py` except `_`-prefixed files, which Vercel does not deploy."""
    return sorted(p.stem for p in (ROOT / "api").glob("*.py") if not p.name.startswith("_"))


# ---- tools and the build --------------------------------------------------------------------------


def _python312() -> Path:
    """A plain (not venv) Python 3.12 interpreter: the builder needs one, and so do the bundles."""
    candidates = [shutil.which("python3.12"), *sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"), reverse=True),
                  getattr(sys, "_base_executable", None)]
    probe = "import sys; print(sys.executable if sys.version_info[:2] == (3, 12) and sys.prefix == sys.base_prefix else '')"
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run([str(candidate), "-I", "-c", probe], capture_output=True, text=True, timeout=30, cwd=ROOT)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    pytest.fail("the Vercel build check needs a plain Python 3.12 (python3.12 on PATH or under ~/.pyenv/versions)", pytrace=False)


def _need_npm() -> str:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        reason = "the Vercel build check needs Node.js and npm (apt-get install nodejs npm); .ci/run installs them"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return npm


def _install_tools(npm: str, python: Path) -> tuple[Path, Path]:
    """The pinned Vercel CLI and uv, in a cache outside the repository (installed once, under a lock)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cli_dir = CACHE / f"vercel-{VERCEL_CLI_VERSION}"
    cli = cli_dir / "node_modules" / ".bin" / "vercel"
    uv_dir = CACHE / f"uv-{UV_VERSION}"
    uv = uv_dir / "bin" / "uv"
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cli.exists():
            _run([npm, "install", "--prefix", str(cli_dir), "--no-audit", "--no-fund", f"vercel@{VERCEL_CLI_VERSION}"], 900)
        if not uv.exists():
            _run([str(python), "-m", "venv", str(uv_dir)], 300)
            _run([str(uv_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}"], 600)
    return cli, uv


def _run(cmd: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}", pytrace=False)
    return proc


def _copy_repository(dest: Path) -> None:
    """What a clean checkout holds (tracked and new, not ignored files), so the build never writes into the work tree."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


@dataclass
class Build:
    workdir: Path
    output: Path
    log: str
    python: Path
    bundles: dict[str, Path] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    npm = _need_npm()
    python = _python312()
    cli, uv = _install_tools(npm, python)
    workdir = tmp_path_factory.mktemp("vercel-build") / "repo"
    workdir.mkdir()
    _copy_repository(workdir)
    (workdir / ".vercel").mkdir()
    # What `vercel link` would write; with it `vercel build` needs no account and no network to Vercel.
    (workdir / ".vercel" / "project.json").write_text(json.dumps(
        {"projectId": "prj_offline_build_check", "orgId": "team_offline_build_check", "settings": {"framework": None}}))
    env = {
        "PATH": os.pathsep.join([str(python.parent), str(uv.parent), str(Path(shutil.which("node") or "/usr/bin/node").parent), "/usr/bin", "/bin"]),
        "HOME": str(Path.home()),
        "LANG": "C.UTF-8",
        "VERCEL_TELEMETRY_DISABLED": "1",
    }
    for name in ("XDG_CACHE_HOME", "UV_CACHE_DIR", "PIP_CERT", "SSL_CERT_FILE"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    started = time.monotonic()
    proc = subprocess.run([str(cli), "build", "--yes"], cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)
    log = proc.stdout + proc.stderr
    print(f"\nvercel build ({time.monotonic() - started:.0f} s):\n{log[-2000:]}")
    assert proc.returncode == 0, f"vercel build failed:\n{log[-5000:]}"
    result = Build(workdir=workdir, output=workdir / ".vercel" / "output", log=log, python=python)
    for name in api_functions():
        result.bundles[name], result.sizes[name] = _lay_out_bundle(result, name, tmp_path_factory.mktemp(f"bundle-{name}"))
    return result


def _lay_out_bundle(build: Build, name: str, dest: Path) -> tuple[Path, int]:
    """The files Vercel would upload for one function, in one folder; and their total size."""
    func = build.output / "functions" / "api" / f"{name}.func"
    assert func.is_dir(), f"the build made no function for api/{name}.py"
    config = json.loads((func / ".vc-config.json").read_text())
    size = 0
    for path in func.rglob("*"):
        if path.is_file():
            target = dest / path.relative_to(func)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            size += path.stat().st_size
    for inside, source in (config.get("filePathMap") or {}).items():
        origin = build.workdir / source
        target = dest / inside
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)
        size += origin.stat().st_size
    return dest, size


# ---- what the build produced ----------------------------------------------------------------------


def test_static_output_is_only_public(build: Build) -> None:
    """Routes check the filesystem first: a file in the static output is downloadable by anyone."""
    static = build.output / "static"
    served = sorted(str(p.relative_to(static)) for p in static.rglob("*") if p.is_file())
    public = sorted(str(p.relative_to(ROOT / "public")) for p in (ROOT / "public").rglob("*") if p.is_file())
    assert served == public


def test_the_cron_is_in_the_build_config(build: Build) -> None:
    config = json.loads((build.output / "config.json").read_text())
    declared = json.loads((ROOT / "vercel.json").read_text())["crons"]
    assert config.get("crons") == declared
    assert {"path": "/api/cron", "schedule": "*/5 * * * *"} in config["crons"]


def test_every_bundle_is_under_vercels_size_limit_and_carries_no_tests(build: Build, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():  # the sizes belong in every CI log, passing or not
        for name, size in sorted(build.sizes.items()):
            print(f"\napi/{name}.py bundle: {size / 1e6:.1f} MB unzipped (limit {BUNDLE_LIMIT_BYTES / 1e6:.0f} MB)", end="")
    assert set(build.sizes) == set(api_functions())
    too_big = {name: size for name, size in build.sizes.items() if size >= BUNDLE_LIMIT_BYTES}
    assert too_big == {}
    for name, bundle in build.bundles.items():
        tops = {p.name for p in bundle.iterdir()}
        assert not tops & {"tests", "bench", ".ci", "Makefile", "docs", "devkit", "public"}, f"api/{name}.py bundle holds {sorted(tops)}"
        assert (bundle / "_vendor" / "flask").is_dir(), f"api/{name}.py bundle has no Flask: were the dependencies installed?"


def test_the_builder_used_python_312_and_pyproject(build: Build) -> None:
    assert "Installing required dependencies from pyproject.toml" in build.log
    for name in api_functions():
        config = json.loads((build.output / "functions" / "api" / f"{name}.func" / ".vc-config.json").read_text())
        assert config["runtime"] == "python3.12", name


# ---- the functions, each from its own bundle --------------------------------------------------------


@dataclass
class Scene:
    """The running bundles (name -> base URL), the offline executor standing in for Inngest, the database."""

    urls: dict[str, str]
    executor_url: str
    database_url: str
    stderr: dict[str, Path]

    def url(self, name: str, path: str) -> str:
        return self.urls[name] + path


@pytest.fixture(scope="module")
def scene(build: Build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    from lib.db import reset_db
    from devkit.executor import Executor
    from devkit.sandbox.server import EnvSwap

    tmp = tmp_path_factory.mktemp("vercel-scene")
    database_url = f"sqlite:///{tmp / 'service.db'}"
    # Migrations run from the work tree, as `DATABASE_URL=... make migrate` does before a deployment.
    _run([sys.executable, "-m", "lib.db.migrate"], 300, cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url})
    env_swap = EnvSwap()
    env_swap.set({"DATABASE_URL": database_url, "VERCEL_ENV": None})
    reset_db()
    executor = Executor(database_url=database_url, time_scale=0.01, signing_key=SIGNING_KEY, signing_key_fallback="")
    executor.start(port=0)
    processes: list[subprocess.Popen[str]] = []
    urls: dict[str, str] = {}
    stderr: dict[str, Path] = {}
    try:
        base_env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp),
            "LANG": "C.UTF-8",
            "VERCEL_ENV": "preview",
            "VERCEL_GIT_COMMIT_REF": "main",
            "VERCEL_AUTOMATION_BYPASS_SECRET": BYPASS,
            "DATABASE_URL": database_url,
            "INNGEST_BASE_URL": executor.url,
            "INNGEST_SIGNING_KEY": SIGNING_KEY,
            "INNGEST_EVENT_KEY": "build-check",
            "FRONT_APP_SECRET": FRONT_SECRET,
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "APPROVALS_SECRET": APPROVALS_SECRET,
            "CRON_SECRET": CRON_SECRET,
            "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
            "PUBLIC_BASE_URL": "https://support.example",
        }
        order = ["inngest"] + [n for n in api_functions() if n != "inngest"]  # the cron needs the serve endpoint's URL
        for name in order:
            config = json.loads((build.bundles[name] / ".vc-config.json").read_text())
            env = {**base_env, **(config.get("environment") or {})}
            if "inngest" in urls:
                env["INNGEST_SYNC_URL"] = urls["inngest"] + "/api/inngest"
            stderr[name] = tmp / f"{name}.stderr"
            proc = subprocess.Popen([str(build.python), "-I", "-S", str(DRIVER)], cwd=build.bundles[name], env=env,
                                    stdout=subprocess.PIPE, stderr=open(stderr[name], "w"), text=True)
            processes.append(proc)
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                proc.wait(timeout=30)
                pytest.fail(f"api/{name}.py did not start from its bundle (exit {proc.returncode}):\n"
                            f"{stderr[name].read_text()[-4000:]}", pytrace=False)
            started = json.loads(line)
            _assert_only_the_bundle_is_importable(name, build.bundles[name], started)
            urls[name] = f"http://127.0.0.1:{started['port']}"
        yield Scene(urls=urls, executor_url=executor.url, database_url=database_url, stderr=stderr)
    finally:
        for proc in processes:
            proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        executor.stop()
        env_swap.restore()
        reset_db()


def _assert_only_the_bundle_is_importable(name: str, bundle: Path, started: dict[str, Any]) -> None:
    bundle_root = str(bundle.resolve())
    outside = [p for p in started["sys_path"] if p and not p.startswith(bundle_root) and "site-packages" in p]
    assert outside == [], f"api/{name}.py ran with site-packages outside its bundle on sys.path: {outside}"
    assert not [p for p in started["sys_path"] if p.startswith(str(ROOT))], f"the work tree is on api/{name}.py's sys.path"
    for module, path in started["modules"].items():
        if path is not None:
            assert str(Path(path).resolve()).startswith(bundle_root), f"api/{name}.py loaded {module} from {path}"


# One row per function in api/: what a real caller sends, and what it must get back. A new
# function without a row fails `test_each_function_answers_from_its_own_bundle` by name.


def probe_inngest(scene: Scene) -> None:
    from devkit.executor.signing import sign

    url = scene.url("inngest", "/api/inngest")
    # In cloud mode the SDK answers an unsigned inspection 401, and a signed one (as Inngest signs it) in full.
    unsigned = requests.get(url, headers={"x-vercel-protection-bypass": BYPASS}, timeout=60)
    assert unsigned.status_code == 401 and unsigned.json() == {"message": "Unauthorized"}, unsigned.text[:500]
    inspected = requests.get(url, timeout=60, headers={"x-vercel-protection-bypass": BYPASS, "x-inngest-server-kind": "cloud",
                                                        "x-inngest-signature": sign(b"", SIGNING_KEY)})
    assert inspected.status_code == 200, inspected.text[:500]
    body = inspected.json()
    assert body["authentication_succeeded"] is True and body["mode"] == "cloud" and body["function_count"] > 0, body
    assert body["has_event_key"] and body["has_signing_key"] and body["env"] == "main", body
    assert BYPASS not in inspected.text
    # Deployment Protection is on: without the bypass Vercel's edge (the stand-in) refuses, as it would.
    assert requests.get(scene.url("inngest", "/api/inngest"), timeout=60).status_code == 401


def probe_cron(scene: Scene) -> None:
    assert requests.get(scene.url("cron", "/api/cron"), headers={"x-vercel-protection-bypass": BYPASS}, timeout=60).status_code == 401
    res = requests.get(scene.url("cron", "/api/cron"), timeout=120,
                       headers={"Authorization": f"Bearer {CRON_SECRET}", "x-vercel-protection-bypass": BYPASS})
    assert res.status_code == 200, res.text[:2000]
    assert res.json()["ok"] is True and BYPASS not in res.text
    # The PUT reached the serve endpoint, which registered every function with the executor, and
    # the URLs Inngest will call carry the bypass as a query parameter.
    functions = requests.get(f"{scene.executor_url}/v1/functions", timeout=30).json()["data"]
    assert functions, "the cron's PUT registered nothing"
    for fn in functions:
        assert fn["url"].startswith(scene.urls["inngest"] + "/api/inngest"), fn["url"]
        for step in fn["config"]["steps"].values():
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(step["runtime"]["url"]).query))
            assert query.get("x-vercel-protection-bypass") == BYPASS, step["runtime"]["url"]
    # A run goes through those URLs, past the edge, into the bundle's function (its first step runs).
    event = {"name": "support/approval.requested", "id": "build-check-1", "data": {
        "actionId": "act_build_check", "conversationId": "cnv_1", "appId": "app_1",
        "action": {"type": "refund", "params": {}}, "agentReasoning": "build check"}}
    assert requests.post(f"{scene.executor_url}/e/build-check", json=[event], timeout=30).status_code == 200
    run = _wait_for(lambda: next((r for r in _runs(scene, "support-workflows-request-approval") if r.get("steps") or r["status"] != "Running"), None))
    assert "not found" not in json.dumps(run).lower() and "401" not in str(run.get("error") or ""), run


def probe_front(scene: Scene) -> None:
    from lib.front.webhooks import sign_app

    body = json.dumps({"type": "sync", "authorization": {"id": "cmp_123"}}).encode()
    ts = str(int(time.time() * 1000))
    headers = {"x-vercel-protection-bypass": BYPASS, "x-front-challenge": "challenge-123", "x-front-request-timestamp": ts,
               "content-type": "application/json"}
    signed = requests.post(scene.url("front", "/api/front"), data=body, timeout=60,
                           headers={**headers, "x-front-signature": sign_app(body, ts, FRONT_SECRET)})
    assert signed.status_code == 200 and signed.json() == {"challenge": "challenge-123"}, signed.text[:500]
    forged = requests.post(scene.url("front", "/api/front"), data=body, timeout=60,
                           headers={**headers, "x-front-signature": sign_app(body, ts, "not-the-secret")})
    assert forged.status_code == 401 and "challenge-123" not in forged.text


def probe_approvals(scene: Scene) -> None:
    action_id = _pending_action(scene, "act_build_web")
    listed = requests.get(scene.url("approvals", "/api/approvals"), params={"key": APPROVALS_SECRET}, timeout=60,
                          headers={"Accept": "application/json", "x-vercel-protection-bypass": BYPASS})
    assert listed.status_code == 200, listed.text[:1000]
    assert action_id in [item.get("actionId") or item.get("action_id") for item in listed.json()["pending"]]
    page = requests.get(scene.url("approvals", f"/api/approvals/{action_id}"), params={"key": APPROVALS_SECRET}, timeout=60,
                        headers={"x-vercel-protection-bypass": BYPASS})
    assert page.status_code == 200 and action_id in page.text
    refused = requests.get(scene.url("approvals", "/api/approvals"), timeout=60, headers={"x-vercel-protection-bypass": BYPASS})
    assert refused.status_code == 401


def probe_dashboard(scene: Scene) -> None:
    from lib.apps import registry

    registry.create_app(slug="build-dash", name="Build <check>", front_inbox_id="inb_build_dash")
    bypass = {"x-vercel-protection-bypass": BYPASS}
    url = scene.url("dashboard", "/api/dashboard")
    figures = requests.get(url, params={"key": APPROVALS_SECRET}, timeout=60, headers={**bypass, "Accept": "application/json"})
    assert figures.status_code == 200, figures.text[:1000]
    assert "build-dash" in [app["slug"] for app in figures.json()["apps"]] and figures.json()["window"]["days"] == 30
    page = requests.get(url, params={"key": APPROVALS_SECRET, "days": "7"}, timeout=60, headers=bypass)
    assert page.status_code == 200 and '<svg class="trend"' in page.text and "Build &lt;check&gt;" in page.text, page.text[:1000]
    assert requests.get(url, params={"key": APPROVALS_SECRET, "days": "abc"}, timeout=60, headers=bypass).status_code == 400
    assert requests.get(url, timeout=60, headers=bypass).status_code == 401


def probe_slack(scene: Scene) -> None:
    from lib.approvals.slack import signature_for

    action_id = _pending_action(scene, "act_build_slack")
    click = {"type": "block_actions", "user": {"id": "U1", "username": "ann"},
             "container": {"type": "message", "channel_id": "C1", "message_ts": "1700000000.000001"},
             "actions": [{"action_id": "approve", "block_id": "approval", "value": action_id, "type": "button"}]}
    body = urllib.parse.urlencode({"payload": json.dumps(click)}).encode()
    ts = str(int(time.time()))
    headers = {"content-type": "application/x-www-form-urlencoded", "x-vercel-protection-bypass": BYPASS,
               "X-Slack-Request-Timestamp": ts}
    forged = requests.post(scene.url("slack", "/api/slack"), data=body, timeout=60,
                           headers={**headers, "X-Slack-Signature": signature_for(body, ts, "not-the-secret")})
    assert forged.status_code == 401
    res = requests.post(scene.url("slack", "/api/slack"), data=body, timeout=60,
                        headers={**headers, "X-Slack-Signature": signature_for(body, ts, SLACK_SECRET)})
    assert res.status_code == 200, res.text[:1000]
    assert res.json()["outcome"] == "recorded" and res.json()["actionId"] == action_id
    # The decision went to Inngest (the executor) as the catalogued event.
    _wait_for(lambda: _event_received(scene, "support/approval.decided", action_id))


def probe_stripe(scene: Scene) -> None:
    from devkit.sandbox.stripe_server import FakeStripe

    stripe_api = FakeStripe(webhook_secret=STRIPE_WEBHOOK_SECRET)  # only its event shape and signing, no server
    stripe_api.add_payment("pi_build", 4900, refund_status="pending")
    refund_id = stripe_api.add_refund("pi_build", 4900, metadata={"action_id": "act_build_stripe"})["id"]
    stripe_api.update_refund(refund_id, "succeeded")
    url = scene.url("stripe", "/api/stripe") + f"?x-vercel-protection-bypass={BYPASS}"
    forged = stripe_api.send_webhook(url, refund_id, secret="whsec_not_the_secret")
    assert forged.status_code == 400 and "Stripe-Signature" in forged.json()["error"], forged.text[:500]
    signed = stripe_api.send_webhook(url, refund_id)
    assert signed.status_code == 200 and signed.json()["status"] == "sent", signed.text[:1000]
    assert signed.json()["actionId"] == "act_build_stripe"
    _wait_for(lambda: _event_received(scene, "stripe/refund.updated", "act_build_stripe"))


PROBES: dict[str, Callable[[Scene], None]] = {
    "inngest": probe_inngest,
    "cron": probe_cron,
    "front": probe_front,
    "approvals": probe_approvals,
    "dashboard": probe_dashboard,
    "slack": probe_slack,
    "stripe": probe_stripe,
}


@pytest.mark.parametrize("name", api_functions())
def test_each_function_answers_from_its_own_bundle(scene: Scene, name: str) -> None:
    if name not in PROBES:
        pytest.fail(f"api/{name}.py has no probe: add a row for it to PROBES in {Path(__file__).name}", pytrace=False)
    try:
        PROBES[name](scene)
    except BaseException:
        print(f"api/{name}.py stderr:\n{scene.stderr[name].read_text()[-4000:]}")
        raise
    logged = scene.stderr[name].read_text()
    assert BYPASS not in logged and urllib.parse.quote(BYPASS) not in logged, f"api/{name}.py logged the bypass secret"


def test_probes_name_only_real_functions() -> None:
    assert set(PROBES) <= set(api_functions())


def test_without_npm_it_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs Node.js and npm"):
        _need_npm()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="needs Node.js and npm"):
        _need_npm()


# ---- helpers ---------------------------------------------------------------------------------------


def _pending_action(scene: Scene, action_id: str) -> str:
    """An action awaiting approval, stored through the project's own code in the scene's database."""
    from lib.actions.store import create_action
    from lib.approvals import store

    create_action(action_id=action_id, conversation_id="cnv_build", app_id=None, type="refund",
                  parameters={"purchaseId": "pi_build", "amount": 4900}, requires_approval=True,
                  agent_reasoning="Bought twice by mistake.", customer_email="ann@example.com")
    store.open_request(action_id)
    return action_id


def _runs(scene: Scene, fn_id: str) -> list[dict[str, Any]]:
    return requests.get(f"{scene.executor_url}/v1/runs", params={"function_id": fn_id}, timeout=30).json()["data"]


def _event_received(scene: Scene, name: str, action_id: str) -> bool:
    from sqlalchemy import text

    from lib.db import get_db

    with get_db().engine.connect() as conn:
        rows = conn.execute(text("SELECT payload FROM executor_events WHERE name = :n"), {"n": name}).fetchall()
    return any(action_id in str(row[0]) for row in rows)


def _wait_for(predicate: Callable[[], Any], timeout: float = 60) -> Any:
    from devkit.sandbox.server import wait_until

    return wait_until(predicate, timeout, interval=0.1)
