"""Register and inspect apps from a shell: `python -m lib.apps add|list|show|rotate-secret|set`.

The integration secret is printed only by `add` and `rotate-secret` (once, for
pasting into the product app's settings); `list` and `show` never print it.
Errors a person can fix (duplicate slug, missing tables, bad JSON) are one line
on stderr and exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from lib.apps import AUTO_SEND_DELAY_SECONDS, CONFIDENCE_FLOOR, NEVER_AUTO_SEND, RETENTION_DAYS, TRUST_MIN_SAMPLES, TRUST_THRESHOLD

EXIT_USAGE = 2


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def _policy(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"--policy must be a JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--policy must be a JSON object, e.g. '{\"refund_auto_approve_max_amount\": 5000}'")
    from lib.agent.policy import POLICY_KEYS

    unknown = sorted(set(value) - set(POLICY_KEYS))
    if unknown:  # a misspelt key would silently change nothing
        raise argparse.ArgumentTypeError(f"--policy: unknown key(s) {', '.join(unknown)}; known: {', '.join(POLICY_KEYS)}")
    return value


def _delay(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--auto-send-delay must be whole seconds, got {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("--auto-send-delay cannot be negative")
    return value


def _categories(text: str) -> list[str]:
    """A comma-separated list of categories ("" for none); the registry refuses unknown ones."""
    return [c.strip() for c in text.split(",") if c.strip()]


def _url(text: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise argparse.ArgumentTypeError(f"--integration-url must be an http(s) URL, got {text!r}")
    return text


def _settings(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options `add` and `set` share; `set` leaves unset ones untouched (default None)."""
    parser.add_argument("--name", required=False)
    parser.add_argument("--inbox", dest="front_inbox_id", help="Front inbox id, e.g. inb_123")
    parser.add_argument("--integration-url", type=_url, help="where the app's integration endpoint answers")
    parser.add_argument("--stripe-account", help="Stripe connected account, e.g. acct_123")
    parser.add_argument("--auto-send", dest="auto_send", action="store_true", default=False if defaults else None)
    parser.add_argument("--no-auto-send", dest="auto_send", action="store_false")
    parser.add_argument("--auto-send-delay", dest="auto_send_delay_seconds", type=_delay, default=AUTO_SEND_DELAY_SECONDS if defaults else None, metavar="SECONDS")
    parser.add_argument("--policy", dest="approval_policy", type=_policy, metavar="JSON", help="approval policy as a JSON object")
    parser.add_argument("--no-reply", dest="no_reply_action", choices=("none", "archive", "tag"), default="none" if defaults else None,
                        help="what Front does with conversations routed no_reply (tag needs --no-reply-tag)")
    parser.add_argument("--no-reply-tag", dest="no_reply_tag_id", metavar="TAG_ID", help="Front tag id for --no-reply tag, e.g. tag_123")
    trust = parser.add_argument_group("auto-send gate and retention (lib.trust)")
    trust.add_argument("--trust-threshold", type=float, default=TRUST_THRESHOLD if defaults else None, metavar="0..1",
                       help=f"trust a category needs before its drafts are auto-sent (default {TRUST_THRESHOLD})")
    trust.add_argument("--trust-min-samples", type=int, default=TRUST_MIN_SAMPLES if defaults else None, metavar="N",
                       help=f"teammate replies a category needs at least (default {TRUST_MIN_SAMPLES})")
    trust.add_argument("--confidence-floor", type=float, default=CONFIDENCE_FLOOR if defaults else None, metavar="0..1",
                       help=f"the agent's confidence one draft needs (default {CONFIDENCE_FLOOR})")
    trust.add_argument("--never-auto-send", type=_categories, metavar="CATEGORIES",
                       help=f"comma-separated categories never auto-sent ('' for none; default {','.join(NEVER_AUTO_SEND)})")
    if not defaults:
        trust.add_argument("--default-never-auto-send", action="store_true", help="go back to the default never-auto-send list")
    trust.add_argument("--retention-days", type=int, default=RETENTION_DAYS if defaults else None, metavar="DAYS",
                       help=f"days message texts are kept (default {RETENTION_DAYS}); counts and scores stay")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib.apps", description="Manage the product apps whose inboxes we answer.")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add", help="register an app and print its new integration secret")
    add.add_argument("--slug", required=True)
    _settings(add, defaults=True)

    commands.add_parser("list", help="list apps (no secrets)")
    show = commands.add_parser("show", help="one app as JSON (no secret)")
    show.add_argument("slug")
    rotate = commands.add_parser("rotate-secret", help="replace an app's integration secret and print the new one")
    rotate.add_argument("slug")
    change = commands.add_parser("set", help="change an app's settings")
    change.add_argument("slug")
    _settings(change, defaults=False)
    return parser


def _print(record: Any) -> None:
    print(json.dumps(record.public(), indent=2, sort_keys=True))


def run(args: argparse.Namespace) -> int:
    from lib.apps import registry

    if args.command == "add":
        if not args.name or not args.front_inbox_id:
            raise CliError("add needs --name and --inbox")
        record = registry.create_app(
            slug=args.slug,
            name=args.name,
            front_inbox_id=args.front_inbox_id,
            integration_url=args.integration_url,
            stripe_account=args.stripe_account,
            auto_send=args.auto_send,
            auto_send_delay_seconds=args.auto_send_delay_seconds,
            approval_policy=args.approval_policy,
            no_reply_action=args.no_reply_action,
            no_reply_tag_id=args.no_reply_tag_id,
            trust_threshold=args.trust_threshold,
            trust_min_samples=args.trust_min_samples,
            confidence_floor=args.confidence_floor,
            never_auto_send=args.never_auto_send,
            retention_days=args.retention_days,
        )
        print(f"integration secret (shown once; give it to the app): {record.integration_secret}")
        _print(record)
    elif args.command == "list":
        for record in registry.list_apps():
            print(json.dumps(record.public(), sort_keys=True))
    elif args.command == "show":
        _print(registry.get_app(args.slug))
    elif args.command == "rotate-secret":
        record = registry.rotate_secret(args.slug)
        print(f"new integration secret (shown once; give it to the app): {record.integration_secret}")
    elif args.command == "set":
        fields = ("name", "front_inbox_id", "integration_url", "stripe_account", "auto_send", "auto_send_delay_seconds", "approval_policy",
                  "no_reply_action", "no_reply_tag_id", "trust_threshold", "trust_min_samples", "confidence_floor", "never_auto_send",
                  "retention_days")
        changes = {field: getattr(args, field) for field in fields if getattr(args, field) is not None}
        if args.default_never_auto_send:
            if args.never_auto_send is not None:
                raise CliError("set: give --never-auto-send or --default-never-auto-send, not both")
            changes["never_auto_send"] = None
        if not changes:
            raise CliError("set: nothing to change; pass at least one option (see --help)")
        _print(registry.update_app(args.slug, **changes))
    return 0


def _check_tables() -> None:
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from lib.config import database_url
    from lib.db import get_db

    from lib.db.url_errors import explain

    try:
        ready = inspect(get_db().engine).has_table("apps")
    except (SQLAlchemyError, ImportError) as exc:
        problem = explain(exc, database_url())
        raise CliError(problem or f"cannot open the database at DATABASE_URL ({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc
    if not ready:
        raise CliError(f"the database has no apps table yet; run `make migrate` first (database: {_safe(database_url())})")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lib.apps.registry import DuplicateApp, UnknownApp

    try:
        _check_tables()
        return run(args)
    except (CliError, DuplicateApp, UnknownApp, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
