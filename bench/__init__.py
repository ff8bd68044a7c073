"""Benchmarks: `make bench` (or `python -m bench`) prints a table of ratios and writes `bench/results.json`.

Each measurement is set against a baseline measured in the same run, on the same
machine, so the ratios travel between machines better than the raw numbers do:

- `cold_start`: import time of each `api/*.py` function in a fresh interpreter vs a bare Flask app
- `serve_cold`: import + first call of `api/inngest.py` in a fresh interpreter vs the SDK's own Flask serve with one trivial function
- `serve_body`: a call carrying 1 and 4 MiB of step state through `api/inngest.py` (guard + SDK) vs the SDK's serve alone
- `ingest`: signed Front webhooks per second under gunicorn vs the minimal correct hand-over (verify + POST to the same sink) in the same server
- `pipeline`: webhook in to draft in the fake Front, through the offline executor, vs the fakes' delays
- `memory`: peak RSS of the serve function after 200 workflow runs vs after 1
- `model_calls`: model calls and tokens per message over the eval corpus, routing + agent vs the agent on every message

Benchmarks are not tests: nothing here runs in CI and no test asserts a time.
Scratch (logs of the servers started) goes to `bench/.work/`, databases to a temp dir.
"""
