"""The routing and agent eval: labelled inbound messages in `tests/evals/data/*.jsonl`, run by `make eval`.

`python -m tests.evals` runs the router and (for messages routed `respond`) the agent over every
case, prints the table and writes the figures to `bench/eval_results.json`. Offline (no
`OPENAI_API_KEY`) it measures the rules and the offline agent and makes no network call; with
a key the classifier and the OpenAI agent run too, and tokens and cost are reported.
`tests/evals/test_offline_eval.py` runs the offline eval in CI with its gates.
"""
