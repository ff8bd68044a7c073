"""Conformance check: inngest-py's own dev-server test suite run against the offline executor.

    python -m devkit.conformance /path/to/inngest-py [--python PY] [-k EXPR] [--junit FILE]

Without test paths it runs the whole dev-server suite (`__main__.DEFAULT_PATHS`, Connect excluded).

The executor starts on a free port with its run-query adapter (`gql.py`: the dev server's
GraphQL `/v0/gql` queries the suite makes, answered from the executor's own state; the
executor itself serves `GET /v1/events`), then the suite runs in a subprocess with the
SDK and its test helpers taken from the checkout by `PYTHONPATH` (nothing is built or
installed from it) and `DEV_SERVER_ENABLED=0 DEV_SERVER_PORT=<port>`, so its
`dev_server` helper talks to our executor instead of starting `inngest-cli`. The
result is one line per test: passed, failed, or an expected failure of a declared gap
(`expected.py`), and the figures. The checkout is the user's; this project keeps none
of it. `--python` must have the suite's third-party dependencies (see README).
"""
