"""`/api/inngest`: the Inngest serve endpoint (GET inspect, PUT sync, POST run a step).

Malformed requests are refused before the SDK sees them (`lib.inngest.serve`).
"""

from lib import config, vercel
from lib.inngest.client import get_client
from lib.inngest.serve import make_app
from lib.workflows import all_functions

app = make_app(
    __name__,
    get_client(),
    all_functions(),
    serve_origin=config.serve_origin(),
    public_path=vercel.inngest_public_path(),  # carries the Deployment Protection bypass when one is set
)
app.wsgi_app = vercel.repair_query(app.wsgi_app)  # type: ignore[method-assign]  # the SDK and the guard see a clean query
