"""Fake external services (Front, Stripe, OpenAI, Slack, app integrations, the Inngest event API) on 127.0.0.1, and sandboxes made of them.

The fakes (`front.py`, `stripe_server.py`, `openai_server.py`, `slack_server.py`,
`product_app.py`, `inngest_events.py`; `inngest_stack.py` runs the offline executor
for tests) are what the tests and benchmarks start in-process: the real client
libraries talk to them through their base-URL settings, nothing is monkeypatched,
and each is as strict as the service it stands for.

The sandboxes (`front_sandbox.py`, `stripe_sandbox.py`, `product_sandbox.py`) are
the same fakes served on fixed ports for `make dev`, with seeded data (`seed.py`),
state kept in `.data/sandbox/*.json` so a restart keeps conversations, drafts and
refunds, and a small HTML page each. Each also runs on its own:
`python -m devkit.sandbox front|stripe|product --port N`.
"""
