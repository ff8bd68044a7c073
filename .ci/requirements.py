"""requirements.txt and requirements-dev.txt, derived from pyproject.toml (the one source of truth).

Vercel's Python builder installs `[project].dependencies` from pyproject.toml and ignores
requirements.txt; the requirements files exist for pip users and are written from pyproject:

    python .ci/requirements.py          # rewrite both files (`make requirements`)
    python .ci/requirements.py --check  # exit 1 if either differs (tests/test_requirements.py does this)
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def expected() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = "\n".join(project["dependencies"])
    dev = "\n".join(project["optional-dependencies"]["dev"])
    return {
        "requirements.txt": "# Generated from pyproject.toml [project].dependencies by `make requirements`: edit pyproject.toml.\n"
        f"# Runtime dependencies: what Vercel installs for the functions in api/.\n{runtime}\n",
        "requirements-dev.txt": "# Generated from pyproject.toml [project.optional-dependencies].dev by `make requirements`: edit pyproject.toml.\n"
        f"# Tests, the local run and benchmarks (not deployed).\n-r requirements.txt\n{dev}\n",
    }


def stale() -> list[str]:
    return [name for name, text in expected().items() if not (ROOT / name).exists() or (ROOT / name).read_text() != text]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        names = stale()
        if names:
            print(f"{', '.join(names)} differ from pyproject.toml; run `make requirements`", file=sys.stderr)
            return 1
        return 0
    for name, text in expected().items():
        (ROOT / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
