"""`/api/inngest`: the Inngest serve endpoint (GET inspect, PUT sync, POST run a step)."""

import inngest.flask

from lib import config, vercel
from lib.inngest.client import get_client
from lib.web import create_app
from lib.workflows import all_functions

app = create_app(__name__)
inngest.flask.serve(
    app,
    get_client(),
    all_functions(),
    serve_origin=config.serve_origin(),
    public_path=vercel.inngest_public_path(),  # carries the Deployment Protection bypass when one is set
)
app.wsgi_app = vercel.repair_query(app.wsgi_app)  # type: ignore[method-assign]
