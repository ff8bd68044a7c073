"""Where a local run keeps its things, and the settings it gives the servers it starts.

`.data/` (or `--data-dir`) holds the SQLite database, the sandboxes' state
(`sandbox/*.json`) and `devkit.json`: the secrets this machine's runs share (Front
app secret, approvals key, the demo app's integration secret), made once so a
restart of `make dev` keeps every signed link and registration valid, and the
URLs of the running `devkit dev`, so `python -m devkit customer` finds it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lib.config import ROOT

DEFAULT_PORTS = {"functions": 3000, "executor": 8288, "front": 4010, "stripe": 4020, "product": 4030}
NOISY_LOGGERS = ("werkzeug", "httpx", "httpcore", "urllib3", "inngest", "stripe", "openai", "alembic", "support.inngest")


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    path = Path(explicit) if explicit else ROOT / ".data"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


@dataclass
class LocalSettings:
    """`devkit.json`: made on first use, then read back unchanged."""

    path: Path
    front_app_secret: str = ""
    approvals_secret: str = ""
    integration_secret: str = ""
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> "LocalSettings":
        path = directory / "devkit.json"
        try:
            saved: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            saved = {}
        except ValueError as exc:
            raise SystemExit(f"{path} is not JSON ({exc}); delete it and start again") from exc
        local = cls(path=path, **{k: v for k, v in saved.items() if k in ("front_app_secret", "approvals_secret", "integration_secret", "urls")})
        if not (local.front_app_secret and local.approvals_secret and local.integration_secret):
            local.front_app_secret = local.front_app_secret or secrets.token_hex(24)
            local.approvals_secret = local.approvals_secret or secrets.token_urlsafe(24)
            local.integration_secret = local.integration_secret or secrets.token_hex(32)
            local.save()
        return local

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.chmod(tmp, 0o600)  # it holds secrets
        os.replace(tmp, self.path)

    # What a client of the running `devkit dev` uses: the environment wins over the file, as in the servers.
    def front_secret(self) -> str:
        return os.environ.get("FRONT_APP_SECRET") or self.front_app_secret

    def approvals_key(self) -> str:
        return os.environ.get("APPROVALS_SECRET") or self.approvals_secret


def make_sandbox(name: str, local: LocalSettings) -> Any:
    """One sandbox service (its `.app` is the WSGI app), its state under `<data dir>/sandbox/`."""
    state_dir = local.path.parent / "sandbox"
    if name == "front":
        from devkit.sandbox.front_sandbox import SandboxFront

        return SandboxFront(state_dir)
    if name == "stripe":
        from devkit.sandbox.stripe_sandbox import SandboxStripe

        return SandboxStripe(state_dir)
    if name == "product":
        from devkit.sandbox.product_sandbox import SandboxProduct

        return SandboxProduct(state_dir, secret=local.integration_secret)
    raise ValueError(f"no sandbox {name!r}")


def serve(app: Any, port: int, host: str = "127.0.0.1", flag: str = "--port") -> Any:
    """Serve a WSGI app in a background thread; a taken port is a clear message naming the flag, not a traceback."""
    from devkit.sandbox.server import LocalServer

    try:
        return LocalServer(app, host=host, port=port).start()
    except (OSError, SystemExit) as exc:  # werkzeug reports a port in use itself, then exits
        raise SystemExit(f"cannot listen on {host}:{port}; choose another port with {flag} (see --help)") from exc


def quiet_libraries() -> None:
    """Request logs and SDK chatter off the terminal: the narrator says what happened."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
