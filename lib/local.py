"""`make dev`: the service on its embedded defaults (SQLite), all api/ functions on :3000."""

from __future__ import annotations

import os

from lib import devserver


def main() -> int:
    os.environ.setdefault("INNGEST_DEV", "1")
    return devserver.main(["--port", os.environ.get("PORT", "3000")])


if __name__ == "__main__":
    raise SystemExit(main())
