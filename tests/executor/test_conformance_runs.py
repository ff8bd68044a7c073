"""How the conformance script splits inngest-py's suite into pytest runs (no checkout needed)."""

from __future__ import annotations

from devkit.conformance.__main__ import DEFAULT_PATHS, EXCLUDED, NEEDS_BASE_URL, plan_runs


def test_the_default_suite_is_everything_but_connect_with_base_url_tests_apart() -> None:
    [(plain, plain_base), (with_base, base)] = plan_runs(list(DEFAULT_PATHS))
    assert (plain_base, base) == (False, True)
    assert [a for a in plain if not a.startswith("--")] == ["tests/test_inngest", "tests/test_inngest_encryption"]
    assert {f"--ignore={d}" for d in (*NEEDS_BASE_URL, *EXCLUDED)} <= set(plain)
    assert [a for a in with_base if not a.startswith("--")] == list(NEEDS_BASE_URL)


def test_a_path_goes_to_the_run_its_directory_needs() -> None:
    # test_server_timings shares a prefix with test_serve but is a directory of its own
    assert plan_runs(["tests/test_inngest/test_server_timings/test_flask.py::TestStreaming"])[0][1] is True
    assert plan_runs(["tests/test_inngest/test_serve/"])[0][1] is True
    [(args, needs_base_url)] = plan_runs(["tests/test_inngest/test_client"])
    assert needs_base_url is False and args[0] == "tests/test_inngest/test_client"
