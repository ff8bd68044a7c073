"""Fake external services (Front, Stripe, OpenAI, app integrations...) served over real HTTP on 127.0.0.1.

The real client libraries talk to them through their base-URL settings; nothing
is monkeypatched. The benchmarks reuse them.
"""
