"""`lib/` and `api/` are what Vercel deploys: they never import `devkit` (excluded from the bundles) or `tests`."""

from __future__ import annotations

import ast
import json

from lib.config import ROOT


def _imports(path: object) -> set[str]:
    tree = ast.parse(path.read_text())  # type: ignore[attr-defined]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_deployed_code_never_imports_devkit_or_tests() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in _imports(path) if name.split(".")[0] in ("devkit", "tests", "bench"))
        for folder in ("lib", "api") for path in (ROOT / folder).rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_every_vercel_function_bundle_excludes_devkit() -> None:
    functions = json.loads((ROOT / "vercel.json").read_text())["functions"]
    assert functions and all("devkit/**" in spec.get("excludeFiles", "") for spec in functions.values())
