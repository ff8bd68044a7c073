"""One clear line for a DATABASE_URL that cannot work, instead of SQLAlchemy's traceback (for the CLIs)."""

from __future__ import annotations

import re

EXAMPLES = "e.g. sqlite:///path/to/file.db or mysql+pymysql://user:pass@host/db"


def explain(exc: BaseException, url: str) -> str | None:
    """What is wrong with `url`, judging by the error opening it raised; None if it is not a URL problem."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    if isinstance(exc, NoSuchModuleError):
        kind = url.split(":", 1)[0]
        return f"DATABASE_URL names an unknown database kind {kind!r} ({EXAMPLES})"
    if isinstance(exc, ArgumentError):
        return f"DATABASE_URL: cannot parse it as a database URL ({EXAMPLES})"
    if isinstance(exc, ImportError):
        driver = exc.name or str(exc)
        return (f"DATABASE_URL needs the Python driver {driver!r}, but driver {driver!r} is not installed "
                "(use mysql+pymysql://, whose driver is in requirements.txt, or pip install it)")
    if isinstance(exc, OperationalError):
        text = str(exc.orig if exc.orig is not None else exc)
        unknown = re.search(r"Unknown database '([^']+)'", text)
        if unknown:
            return f"the database '{unknown.group(1)}' does not exist on {_safe(url)}; create it (CREATE DATABASE {unknown.group(1)}) or fix DATABASE_URL"
        return f"cannot open the database at {_safe(url)}: {text.splitlines()[0] if text else type(exc).__name__}"
    return None


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - unparsable URLs are reported elsewhere; never echo a password
        return "DATABASE_URL"
