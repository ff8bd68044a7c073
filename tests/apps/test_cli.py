"""`python -m lib.apps` as a user runs it: a subprocess against a migrated database (SQLite and MariaDB)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lib.apps import registry
from lib.config import ROOT


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "lib.apps", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_add_prints_the_secret_once_and_stores_the_app(database_url: str) -> None:
    added = cli(
        database_url, "add", "--slug", "acme", "--name", "Acme", "--inbox", "inb_1",
        "--integration-url", "https://acme.example/support", "--stripe-account", "acct_1",
        "--auto-send", "--auto-send-delay", "120", "--policy", '{"refund_auto_approve_max_amount": 5000}',
    )
    assert added.returncode == 0, added.stderr
    first, rest = added.stdout.split("\n", 1)
    secret = first.rsplit(" ", 1)[1]
    assert secret.startswith("whsec_")
    shown = json.loads(rest)
    assert "integration_secret" not in shown and secret not in rest
    registry.clear_cache()
    stored = registry.find_app_by_inbox("inb_1")
    assert stored is not None and stored.integration_secret == secret
    assert (stored.slug, stored.stripe_account, stored.auto_send, stored.auto_send_delay_seconds) == ("acme", "acct_1", True, 120)
    assert stored.approval_policy == {"refund_auto_approve_max_amount": 5000}

    listed = cli(database_url, "list")
    assert listed.returncode == 0 and secret not in listed.stdout
    assert [json.loads(line)["slug"] for line in listed.stdout.splitlines()] == ["acme"]
    show = cli(database_url, "show", "acme")
    assert json.loads(show.stdout)["front_inbox_id"] == "inb_1" and secret not in show.stdout


def test_duplicates_are_a_clear_error(database_url: str) -> None:
    registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1")
    same_slug = cli(database_url, "add", "--slug", "acme", "--name", "Other", "--inbox", "inb_2")
    same_inbox = cli(database_url, "add", "--slug", "other", "--name", "Other", "--inbox", "inb_1")
    for result in (same_slug, same_inbox):
        assert result.returncode == 2
        assert "already registered" in result.stderr and "Traceback" not in result.stderr
    assert [app.slug for app in registry.list_apps()] == ["acme"]


def test_rotate_and_set(database_url: str) -> None:
    old = registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1")
    rotated = cli(database_url, "rotate-secret", "acme")
    assert rotated.returncode == 0
    new_secret = rotated.stdout.strip().rsplit(" ", 1)[1]
    assert new_secret != old.integration_secret and registry.get_app("acme").integration_secret == new_secret

    changed = cli(database_url, "set", "acme", "--auto-send", "--auto-send-delay", "30", "--name", "Acme Co")
    assert changed.returncode == 0, changed.stderr
    app = registry.get_app("acme")
    assert (app.name, app.auto_send, app.auto_send_delay_seconds, app.front_inbox_id) == ("Acme Co", True, 30, "inb_1")
    assert cli(database_url, "set", "acme", "--no-auto-send").returncode == 0
    assert registry.get_app("acme").auto_send is False
    nothing = cli(database_url, "set", "acme")
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr


def test_unknown_slug_and_bad_input(database_url: str) -> None:
    missing = cli(database_url, "show", "nope")
    assert missing.returncode == 2 and "no app is registered with slug 'nope'" in missing.stderr
    assert cli(database_url, "rotate-secret", "nope").returncode == 2
    bad_policy = cli(database_url, "add", "--slug", "a", "--name", "A", "--inbox", "i", "--policy", "[1]")
    assert bad_policy.returncode == 2 and "--policy must be a JSON object" in bad_policy.stderr
    unread = cli(database_url, "add", "--slug", "a", "--name", "A", "--inbox", "i", "--policy", '{"max_refund_cents": 5000}')
    assert unread.returncode == 2 and "unknown key(s) max_refund_cents" in unread.stderr  # a key the policy never reads
    bad_url = cli(database_url, "add", "--slug", "a", "--name", "A", "--inbox", "i", "--integration-url", "acme.example")
    assert bad_url.returncode == 2 and "http(s) URL" in bad_url.stderr
    assert registry.list_apps() == []


def test_unmigrated_database_says_make_migrate(tmp_path: Path) -> None:
    result = cli(f"sqlite:///{tmp_path / 'empty.db'}", "list")
    assert result.returncode == 2
    assert "make migrate" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_a_clear_error() -> None:
    result = cli("mysql+pymysql://root@127.0.0.1:1/nothing?connect_timeout=2", "list")
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr and "Traceback" not in result.stderr


def test_no_reply_setting(database_url: str) -> None:
    registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1")
    assert registry.get_app("acme").no_reply_action == "none"
    assert cli(database_url, "set", "acme", "--no-reply", "archive").returncode == 0
    assert registry.get_app("acme").no_reply_action == "archive"
    untagged = cli(database_url, "set", "acme", "--no-reply", "tag")
    assert untagged.returncode == 2 and "needs no_reply_tag_id" in untagged.stderr
    assert registry.get_app("acme").no_reply_action == "archive"  # refused, so unchanged
    tagged = cli(database_url, "set", "acme", "--no-reply", "tag", "--no-reply-tag", "tag_9")
    assert tagged.returncode == 0, tagged.stderr
    app = registry.get_app("acme")
    assert (app.no_reply_action, app.no_reply_tag_id) == ("tag", "tag_9")
    assert cli(database_url, "set", "acme", "--no-reply", "delete").returncode == 2  # not a choice


def test_trust_settings(database_url: str) -> None:
    added = cli(database_url, "add", "--slug", "acme", "--name", "Acme", "--inbox", "inb_1", "--auto-send", "--trust-min-samples", "20",
                "--confidence-floor", "0.5", "--never-auto-send", "legal,other")
    assert added.returncode == 0, added.stderr
    app = registry.get_app("acme")
    assert (app.trust_threshold, app.trust_min_samples, app.confidence_floor, app.never_auto_send, app.retention_days) == (
        0.85, 20, 0.5, ["legal", "other"], 30)
    changed = cli(database_url, "set", "acme", "--trust-threshold", "0.9", "--retention-days", "7", "--default-never-auto-send")
    assert changed.returncode == 0, changed.stderr
    app = registry.get_app("acme")
    assert (app.trust_threshold, app.retention_days, app.never_auto_send) == (0.9, 7, None)
    for bad in (["--trust-threshold", "1.5"], ["--trust-min-samples", "0"], ["--retention-days", "x"], ["--never-auto-send", "legal,nope"]):
        refused = cli(database_url, "set", "acme", *bad)
        assert refused.returncode == 2 and "nope" in refused.stderr if "legal,nope" in bad else refused.returncode == 2, bad
    assert registry.get_app("acme").trust_threshold == 0.9  # refused, so unchanged
