"""Who holds the approvals key (`APPROVALS_SECRET`): the guard of every page for the support team.

The key comes as `?key=` (then remembered in an HttpOnly cookie scoped to the page that
took it), as that cookie, or as the basic-auth password. The approvals page and the
dashboard both use this guard; there is no second one.
"""

from __future__ import annotations

from flask import Request, Response

COOKIE = "approvals_key"
REALM = 'Basic realm="approvals"'  # one realm: a browser's basic-auth answer opens every guarded page
COOKIE_HOURS = 12


def presented_key(request: Request) -> str | None:
    """The key this request carries, wherever it put it (None when it carries none)."""
    if request.args.get("key"):
        return request.args["key"]
    if request.cookies.get(COOKIE):
        return request.cookies[COOKIE]
    if request.authorization and request.authorization.password:
        return request.authorization.password
    return None


def holds_key(request: Request) -> bool:
    """Whether the request carries `APPROVALS_SECRET` (constant-time; False when the secret is unset)."""
    from lib.approvals.links import shared_secret_ok

    return shared_secret_ok(presented_key(request))


def remember_key(request: Request, response: Response, path: str) -> Response:
    """After a `?key=` visit, keep the key in a cookie for `path`, so the page's links need not carry it."""
    if request.args.get("key"):
        response.set_cookie(COOKIE, request.args["key"], httponly=True, samesite="Strict",
                            secure=request.is_secure, path=path, max_age=COOKIE_HOURS * 3600)
    return response
