"""A bad DATABASE_URL is one clear line from the CLIs (`lib.db.migrate`, `lib.apps`), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    ("not a url", "cannot parse"),
    ("foo://user@host/db", "unknown database kind 'foo'"),
    ("mysql+mysqldb://root@127.0.0.1/x", "driver 'MySQLdb' is not installed"),
]


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [("lib.db.migrate",), ("lib.apps", "list")], ids=["migrate", "apps"])
@pytest.mark.parametrize(("url", "expected"), CASES, ids=["unparsable", "unknown-kind", "missing-driver"])
def test_bad_database_url_is_one_clear_line(command: tuple[str, ...], url: str, expected: str) -> None:
    result = _run(url, *command)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0] and "Traceback" not in result.stderr


@pytest.mark.mariadb
@pytest.mark.parametrize("command", [("lib.db.migrate",), ("lib.apps", "list")], ids=["migrate", "apps"])
def test_unknown_database_on_a_reachable_server_says_so(mariadb_server: str, command: tuple[str, ...]) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(mariadb_server).set(database="no_such_db_for_support_tests").render_as_string(hide_password=False)
    result = _run(url, *command)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "database 'no_such_db_for_support_tests' does not exist" in lines[0]
