"""`python -m devkit dev`: the whole service on this machine, with sandboxes for every outside service.

Starts the sandbox Front, Stripe and product app (unless the real service's
variable is set), the offline executor and the `api/*.py` functions; gives the
functions their settings (Front app secret and approvals key from `.data/devkit.json`,
base URLs and keys of the sandboxes); registers a demo app wired to the sandboxes
(inbox `inb_sandbox`, integration URL and secret); registers the functions with the
executor; prints one banner with every URL; then narrates every run until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from devkit import settings
from devkit.narrate import Narrator

DEMO_SLUG = "acme"
REGISTER_ATTEMPTS = 50


@dataclass
class Integration:
    name: str
    sandbox: bool  # False: the real service (its variable is set)
    detail: str
    mode: str = ""  # what the banner says; default "sandbox" or "REAL"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m devkit dev", description="run the whole service locally with sandboxes")
    ports = settings.DEFAULT_PORTS
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=ports["functions"], help=f"api/ functions (default {ports['functions']})")
    p.add_argument("--executor-port", type=int, default=ports["executor"])
    p.add_argument("--front-port", type=int, default=ports["front"])
    p.add_argument("--stripe-port", type=int, default=ports["stripe"])
    p.add_argument("--product-port", type=int, default=ports["product"])
    p.add_argument("--data-dir", default=None, help="database, sandbox state and local secrets (default .data)")
    p.add_argument("--time-scale", type=float, default=None, help="shorten sleeps, waits and backoff (e.g. 0.01)")
    p.add_argument("--quiet", action="store_true", help="banner only, no narration")
    return p


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def configure(local: settings.LocalSettings, urls: dict[str, str]) -> list[Integration]:
    """Set the functions' environment; a real service's variable, when set, wins over its sandbox."""
    from devkit.sandbox.front import TOKEN as FRONT_TOKEN
    from devkit.sandbox.stripe_server import SECRET_KEY as STRIPE_KEY
    from devkit.sandbox.stripe_server import WEBHOOK_SECRET as STRIPE_WEBHOOK

    env = os.environ
    env.setdefault("FRONT_APP_SECRET", local.front_app_secret)
    env.setdefault("APPROVALS_SECRET", local.approvals_secret)
    env.setdefault("PUBLIC_BASE_URL", urls["functions"])
    found = []
    if env.get("FRONT_API_TOKEN"):
        found.append(Integration("Front", False, env.get("FRONT_API_BASE_URL") or "https://api2.frontapp.com"))
    else:
        env.update({"FRONT_API_TOKEN": FRONT_TOKEN, "FRONT_API_BASE_URL": urls["front"]})
        found.append(Integration("Front", True, f"{urls['front']}/"))
    if env.get("STRIPE_SECRET_KEY"):
        found.append(Integration("Stripe", False, env.get("STRIPE_API_BASE") or "https://api.stripe.com"))
    else:
        env.update({"STRIPE_SECRET_KEY": STRIPE_KEY, "STRIPE_API_BASE": urls["stripe"], "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK})
        found.append(Integration("Stripe", True, f"{urls['stripe']}/"))
    found.append(Integration("product app", True, f"{urls['product']}/ (demo app '{DEMO_SLUG}', inbox inb_sandbox)"))
    if env.get("OPENAI_API_KEY"):
        found.append(Integration("OpenAI", False, f"model {env.get('OPENAI_MODEL') or 'gpt-4.1-mini'}"))
    else:
        found.append(Integration("OpenAI", True, "rules agent (lib/agent/offline.py)", mode="offline"))
    slack = env.get("SLACK_BOT_TOKEN") or env.get("SLACK_WEBHOOK_URL")
    found.append(Integration("Slack", not slack, "approval messages" if slack else "approvers use the web page", mode="" if slack else "off"))
    return found


# The demo app earns auto-send per category as a real one would, only sooner: 20 teammate replies
# (`python -m devkit teammate-replies`) instead of 50, a confidence floor the offline agent's 0.3 for
# questions reaches (a model's own confidence would meet the 0.9 default), and a 30 s wait before sending.
DEMO_TRUST: dict[str, Any] = {"auto_send": True, "auto_send_delay_seconds": 30, "trust_min_samples": 20, "confidence_floor": 0.3}


def register_demo_app(product_url: str, secret: str) -> Any:
    """The demo app, created once and re-pointed at the sandbox product app on every start (ports may change)."""
    from devkit.sandbox.front_sandbox import INBOX
    from lib.apps import registry

    try:
        registry.get_app(DEMO_SLUG)
    except registry.UnknownApp:
        return registry.create_app(slug=DEMO_SLUG, name="Acme (sandbox)", front_inbox_id=INBOX,
                                   integration_url=f"{product_url}/support", integration_secret=secret, **DEMO_TRUST)
    return registry.update_app(DEMO_SLUG, integration_url=f"{product_url}/support", front_inbox_id=INBOX)


def banner(urls: dict[str, str], integrations: list[Integration], database: str, approvals_key: str) -> str:
    width = max(len(i.name) for i in integrations)
    lines = [
        "",
        "Support workflows, running locally (Ctrl-C stops everything)",
        f"  functions   {urls['functions']}/api/...   (Front webhook: {urls['functions']}/api/front)",
        f"  runs        {urls['executor']}/runs",
        f"  approvals   {urls['functions']}/api/approvals?key={approvals_key}",
        f"  dashboard   {urls['functions']}/api/dashboard?key={approvals_key}",
        f"  database    {database}",
        "",
        "Integrations:",
    ]
    for item in integrations:
        kind = item.mode or ("sandbox" if item.sandbox else "REAL")
        lines.append(f"  {item.name.ljust(width)}  {kind.ljust(7)}  {item.detail}")
    lines += [
        "  (set FRONT_API_TOKEN, STRIPE_SECRET_KEY or OPENAI_API_KEY to use the real service instead of its sandbox)",
        "",
        "Try it:  python -m devkit customer \"I'd like a refund for Acme Pro\"",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    directory = settings.data_dir(args.data_dir)
    if args.data_dir and not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'support.db'}"
    settings.quiet_libraries()
    local = settings.LocalSettings.load(directory)
    host = args.host
    urls = {name: f"http://{host}:{port}" for name, port in (
        ("functions", args.port), ("executor", args.executor_port), ("front", args.front_port),
        ("stripe", args.stripe_port), ("product", args.product_port))}
    integrations = configure(local, urls)

    from lib import config
    from lib.db.migrate import upgrade

    database = config.database_url()
    upgrade(database)
    signal.signal(signal.SIGTERM, _interrupt)
    servers: list[Any] = []
    executor = None
    app = register_demo_app(urls["product"], local.integration_secret)
    if app.integration_secret != local.integration_secret:  # the registered app's secret is the one that counts
        local.integration_secret = app.integration_secret
    local.urls = urls
    local.save()
    try:
        for item, name, port in (("Front", "front", args.front_port), ("Stripe", "stripe", args.stripe_port),
                                 ("product app", "product", args.product_port)):
            if next(i for i in integrations if i.name == item).sandbox:
                servers.append(settings.make_sandbox(name, local).serve(port, host))
        executor, functions_url = _start_service(args, urls)
        servers.append(functions_url)
        _register_functions(urls["functions"])
        print(banner(urls, integrations, _safe_url(database), local.approvals_key()), flush=True)
        _narrate(executor, args.quiet)
    except KeyboardInterrupt:
        pass
    finally:
        for server in reversed(servers):
            server.stop()
        if executor is not None:
            executor.stop()
    return 0


def _start_service(args: argparse.Namespace, urls: dict[str, str]) -> tuple[Any, Any]:
    from devkit import devserver
    from devkit.executor import Executor
    from lib.inngest.client import reset_client

    executor = Executor(time_scale=args.time_scale)
    try:
        executor.start(args.host, args.executor_port)
    except (OSError, SystemExit) as exc:  # werkzeug reports a port in use itself, then exits
        executor.stop()
        raise SystemExit(f"cannot listen on {args.host}:{args.executor_port}; choose another port with --executor-port") from exc
    os.environ["INNGEST_DEV"] = urls["executor"]  # before api.inngest makes its client
    reset_client()
    try:
        functions = settings.serve(devserver.build_app(), args.port, args.host)
    except SystemExit:
        executor.stop()
        raise
    return executor, functions


def _register_functions(functions_url: str) -> None:
    from lib.inngest.sync import sync_app

    serve_url = f"{functions_url}/api/inngest"
    result = sync_app(serve_url, timeout=10)
    for attempt in range(REGISTER_ATTEMPTS):  # retry only while the endpoint is not up yet
        if result.ok or result.status is not None:
            break
        time.sleep(min(0.2 * (attempt + 1), 2))
        result = sync_app(serve_url, timeout=10)
    if not result.ok:
        print(f"WARNING: registering {serve_url} failed: {result.error}; fix it and PUT that URL again", flush=True)


def approval_link(action_id: str) -> str:
    from lib.approvals.links import signed_link

    return signed_link(action_id)


def _narrate(executor: Any, quiet: bool) -> None:
    stop = threading.Event()
    if quiet:
        stop.wait()
        return
    narrator = Narrator(approval_link=approval_link)
    narrator.prime(executor.engine.list_runs())
    while not stop.wait(0.5):
        narrator.update(executor.engine.list_runs(limit=50))


def _safe_url(url: str) -> str:
    """The database URL without its password, for the banner."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - shown as given if SQLAlchemy cannot parse it; migrate has already complained
        return url
