"""pyproject.toml is the one list of dependencies; the requirements files must say the same."""

import runpy
import tomllib

from lib.config import ROOT

generator = runpy.run_path(str(ROOT / ".ci" / "requirements.py"))


def test_requirements_files_match_pyproject() -> None:
    assert generator["stale"]() == [], "requirements files differ from pyproject.toml; run `make requirements`"


def test_runtime_dependencies_are_pinned_and_dev_tools_are_not_deployed() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"], "Vercel installs [project].dependencies: an empty list deploys functions without Flask"
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert "==" in requirement, f"{requirement} is not pinned"
    runtime = {r.split("==")[0].lower() for r in project["dependencies"]}
    assert {"flask", "inngest", "sqlalchemy"} <= runtime
    assert not runtime & {"pytest", "hypothesis", "selenium", "gunicorn"}
    assert project["requires-python"] == ">=3.12"
    assert (ROOT / ".python-version").read_text().strip() == "3.12"
