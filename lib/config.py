"""Settings, read from the environment when first asked for and never at import.

Serverless functions get their environment at start-up, tests change it between
cases, and a module that read it at import would freeze whichever came first.
So every setting is a property that reads `os.environ` on access; a required
setting that is missing raises `MissingSetting` naming the variable.

`VARIABLES` is the one list of every variable the service reads; the README's
table is checked against it by a test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / ".data" / "support.db"


class MissingSetting(RuntimeError):
    """A required environment variable is not set."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name} is not set: {why}")
        self.name = name


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None
    purpose: str


VARIABLES: tuple[Variable, ...] = (
    Variable("DATABASE_URL", None, "SQLAlchemy URL; unset means SQLite at .data/support.db locally, and is an error on Vercel (VERCEL_ENV set). MySQL: mysql+pymysql://user:pass@host/db (add ?ssl_ca=... or ?ssl=true for TLS)"),
    Variable("INNGEST_APP_ID", "support-workflows", "Inngest app id"),
    Variable("INNGEST_DEV", None, "1 or a dev server URL: talk to a local executor/dev server instead of Inngest Cloud"),
    Variable("INNGEST_BASE_URL", None, "Inngest API/event origin override (the offline executor sets this)"),
    Variable("INNGEST_EVENT_KEY", None, "event key for Inngest Cloud (required in production)"),
    Variable("INNGEST_SIGNING_KEY", None, "signing key for Inngest Cloud (required in production)"),
    Variable("INNGEST_SIGNING_KEY_FALLBACK", None, "previous signing key during rotation"),
    Variable("INNGEST_ENV", None, "Inngest branch environment; defaults to VERCEL_GIT_COMMIT_REF on previews"),
    Variable("INNGEST_SERVE_ORIGIN", None, "public origin Inngest calls back (set automatically from VERCEL_URL on Vercel)"),
    Variable("VERCEL_ENV", None, "set by Vercel: production, preview or development"),
    Variable("VERCEL_URL", None, "set by Vercel: the deployment's host name"),
    Variable("VERCEL_GIT_COMMIT_REF", None, "set by Vercel: the branch, used as the Inngest branch environment"),
    Variable("VERCEL_AUTOMATION_BYPASS_SECRET", None, "set by Vercel when Protection Bypass for Automation is on: the cron's PUT and the URL registered with Inngest carry it"),
    Variable("CRON_SECRET", None, "bearer token Vercel Cron sends; when set /api/cron demands it"),
    Variable("INNGEST_SYNC_URL", "http://localhost:3000/api/inngest", "what /api/cron PUTs when VERCEL_URL is unset"),
    Variable("FRONT_APP_SECRET", None, "Front application webhook secret (HMAC-SHA256 signatures)"),
    Variable("FRONT_API_SECRET", None, "Front API secret for rule webhooks (HMAC-SHA1 signatures)"),
    Variable("FRONT_API_TOKEN", None, "Front API bearer token"),
    Variable("FRONT_API_BASE_URL", "https://api2.frontapp.com", "Front API origin (tests point it at a fake)"),
    Variable("FRONT_API_LINK_HOSTS", None, "extra host names (comma-separated, `*.` for one label) trusted as Front's company API host in pagination links and redirects, on the base URL's scheme and port; tests only (production trusts `*.api.frontapp.com` over https)"),
    Variable("MAX_WEBHOOK_BYTES", "1048576", "largest webhook body accepted; larger is 413"),
    Variable("OPENAI_API_KEY", None, "OpenAI key; unset means the documented offline rules agent"),
    Variable("OPENAI_BASE_URL", None, "OpenAI-compatible API origin (tests point it at a fake)"),
    Variable("OPENAI_MODEL", "gpt-4.1-mini", "model the agent uses"),
    Variable("OPENAI_ROUTER_MODEL", "gpt-4.1-nano", "model of the routing classifier (one structured-output call for messages the routing rules leave open)"),
    Variable("OPENAI_TIMEOUT_SECONDS", "30", "per-request timeout of the OpenAI client, in seconds"),
    Variable("OPENAI_MAX_RETRIES", "2", "retries the OpenAI SDK makes on connection errors, 408/409/429 and 5xx before the agent gives up"),
    Variable("STRIPE_SECRET_KEY", None, "Stripe secret key for refunds"),
    Variable("STRIPE_API_BASE", None, "Stripe API origin override (tests point it at a fake)"),
    Variable("STRIPE_MAX_NETWORK_RETRIES", "2", "retries the Stripe SDK makes on network errors, 409 and 5xx, resending the same idempotency key"),
    Variable("STRIPE_WEBHOOK_SECRET", None, "signing secret (whsec_...) of the Stripe webhook endpoint /api/stripe; unset, it answers 503"),
    Variable("REFUND_PENDING_TIMEOUT_HOURS", "72", "how long a pending refund is awaited (webhook, else polling) before a teammate is asked to follow it"),
    Variable("SLACK_BOT_TOKEN", None, "Slack bot token for approval messages (or use SLACK_WEBHOOK_URL)"),
    Variable("SLACK_CHANNEL", None, "Slack channel for approval messages with the bot token"),
    Variable("SLACK_WEBHOOK_URL", None, "Slack incoming webhook for approval messages"),
    Variable("SLACK_SIGNING_SECRET", None, "verifies Slack's interactive callbacks"),
    Variable("SLACK_API_BASE_URL", "https://slack.com/api", "Slack API origin (tests point it at a fake)"),
    Variable("APPROVALS_SECRET", None, "signs approval links and guards the approvals page and the dashboard"),
    Variable("PUBLIC_BASE_URL", "http://localhost:3000", "public origin of this service, for links in notifications"),
)

_DEFAULTS = {v.name: v.default for v in VARIABLES}


def env(name: str) -> str | None:
    """The variable's value, stripped, else its default from `VARIABLES` (the only place defaults live); empty counts as unset."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return _DEFAULTS[name]
    return value.strip()


def require(name: str, why: str) -> str:
    value = env(name)
    if value is None:
        raise MissingSetting(name, why)
    return value


def env_int(name: str) -> int:
    """An integer setting; its default comes from `VARIABLES` like every other."""
    value = require(name, "it has no default")
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def database_url() -> str:
    """`DATABASE_URL`, or the embedded SQLite file when unset, except on Vercel.

    A deployed function's filesystem is read-only and each instance would get its own file, so on
    Vercel (`VERCEL_ENV` set) a missing `DATABASE_URL` raises `MissingSetting` where the database is
    first used; functions that never touch the database are unaffected.
    """
    url = env("DATABASE_URL")
    if url:
        return url
    if is_vercel():
        raise MissingSetting("DATABASE_URL", "on Vercel the service needs a hosted MySQL database (no SQLite file inside the bundle)")
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def is_vercel() -> bool:
    return env("VERCEL_ENV") is not None


def inngest_is_production() -> bool:
    """Cloud mode on Vercel deployments unless `INNGEST_DEV` says otherwise; dev mode locally."""
    dev = env("INNGEST_DEV")
    if dev is not None:
        return dev.lower() in ("0", "false")
    return is_vercel() and env("VERCEL_ENV") != "development"


def inngest_env() -> str | None:
    """The Inngest branch environment: explicit, else the preview deployment's branch."""
    explicit = env("INNGEST_ENV")
    if explicit:
        return explicit
    if env("VERCEL_ENV") == "preview":
        return env("VERCEL_GIT_COMMIT_REF")
    return None


def serve_origin() -> str | None:
    """Where Inngest should call us back: explicit, else the Vercel deployment URL."""
    explicit = env("INNGEST_SERVE_ORIGIN")
    if explicit:
        return explicit
    host = env("VERCEL_URL")
    return f"https://{host}" if host else None


def sync_url() -> str:
    """The serve endpoint the cron PUTs to keep functions registered."""
    host = env("VERCEL_URL")
    if host:
        return f"https://{host}/api/inngest"
    return require("INNGEST_SYNC_URL", "the cron needs a serve endpoint to PUT")
