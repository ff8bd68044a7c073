"""The floor for the serve function's cold start: the Inngest SDK's own Flask serve, one trivial function.

A bare Flask app, `inngest.flask.serve` and a function with one step that returns a
constant: what any Python app serving Inngest on Vercel pays before its own code.
`api/inngest.py` cannot start faster than this; `bench.serve_cold` compares the two.
Mode and keys come from the same `INNGEST_*` variables as the real client.
"""

from __future__ import annotations

import inngest
import inngest.flask
from flask import Flask

client = inngest.Inngest(app_id="support-workflows")


@client.create_function(fn_id="hello", trigger=inngest.TriggerEvent(event="bench/hello"))
def hello(ctx: inngest.ContextSync) -> str:
    return ctx.step.run("say-hello", lambda: "hello")


app = Flask(__name__)
inngest.flask.serve(app, client, [hello])
