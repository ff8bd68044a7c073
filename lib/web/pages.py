"""What the HTML pages (approvals, dashboard) share: content negotiation and the headers every page carries."""

from __future__ import annotations

from flask import Request, Response


def wants_json(request: Request) -> bool:
    """JSON for JSON requests and clients that prefer it; HTML (a browser) otherwise."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"]


def html_page(body: str, status: int = 200) -> Response:
    """An HTML answer that is never cached (it shows customer data) and never framed."""
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
