"""The README's layout table matches the tree: every module and package a newcomer would look for is
named there, and every path it names exists (issue 16's "from the folder tree alone")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP_DIRS = ("api", "lib", "devkit", "tests", "bench")


def _layout_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Layout\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def _entries(folder: str) -> list[str]:
    """The packages and modules directly in a folder, as `folder/name/` or `folder/name.py`."""
    found = []
    for path in sorted((ROOT / folder).iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.is_dir() and (path / "__init__.py").exists():
            found.append(f"{folder}/{path.name}/")
        elif path.suffix == ".py":
            found.append(f"{folder}/{path.name}")
    return found


def test_every_path_the_layout_names_exists() -> None:
    named = set(re.findall(r"`((?:%s)/[^`*\s]*)`" % "|".join(TOP_DIRS), _layout_section()))
    assert named, "the layout table names no paths"
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert missing == [], f"README's layout names paths that do not exist: {missing}"


def test_every_package_and_module_is_in_the_layout() -> None:
    section = _layout_section()
    wanted = _entries("lib") + _entries("devkit") + _entries("lib/workflows")
    unnamed = [entry for entry in wanted if f"`{entry}`" not in section]
    assert unnamed == [], f"README's layout table does not say where these live: {unnamed}"


def test_every_vercel_function_is_in_the_layout() -> None:
    api_row = next(line for line in _layout_section().splitlines() if line.startswith("| `api/`"))
    functions = [path.name for path in sorted((ROOT / "api").glob("*.py")) if not path.name.startswith("_")]
    unnamed = [name for name in functions if f"`{name}`" not in api_row]
    assert unnamed == [], f"README's api/ row does not name: {unnamed}"
