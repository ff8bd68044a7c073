"""Signed, expiring approval links and the approvers' shared secret.

A link carries `action`, `exp` (Unix seconds) and `sig` = HMAC-SHA256 over
`purpose \\n action id \\n exp` with `APPROVALS_SECRET`. The purpose keeps a
viewing link from being replayed as a decision token (the form's CSRF token is
the same construction with purpose "decide"). Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from lib import config
from lib.approvals import APPROVAL_TTL

VIEW = "view"
DECIDE = "decide"
LINK_TTL_SECONDS = int(APPROVAL_TTL.total_seconds())  # a link lives as long as the request it opens
FORM_TTL_SECONDS = 3600


def _secret() -> bytes:
    return config.require("APPROVALS_SECRET", "it signs approval links and guards the approvals page").encode()


def sign(action_id: str, exp: int, purpose: str = VIEW) -> str:
    message = f"{purpose}\n{action_id}\n{int(exp)}".encode()
    return hmac.new(_secret(), message, hashlib.sha256).hexdigest()


def verify(action_id: str | None, exp: str | int | None, sig: str | None, purpose: str = VIEW, now: float | None = None) -> bool:
    """True if `sig` signs this action and expiry for `purpose` and the expiry is still ahead."""
    _secret()  # unconfigured is an error to report, not a bad link
    if not action_id or not sig or exp is None:
        return False
    try:
        expires = int(exp)
    except (TypeError, ValueError):
        return False
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(sign(action_id, expires, purpose).encode(), str(sig).encode())


def signed_params(action_id: str, ttl: int = LINK_TTL_SECONDS, purpose: str = VIEW, now: float | None = None) -> dict[str, str]:
    exp = int((time.time() if now is None else now) + ttl)
    return {"action": action_id, "exp": str(exp), "sig": sign(action_id, exp, purpose)}


def signed_link(action_id: str, ttl: int = LINK_TTL_SECONDS, base_url: str | None = None) -> str:
    """The approvals page for one action, openable without the shared secret until it expires."""
    origin = (base_url or config.require("PUBLIC_BASE_URL", "links need an origin")).rstrip("/")
    return f"{origin}/api/approvals?{urlencode(signed_params(action_id, ttl))}"


def form_token(action_id: str, ttl: int = FORM_TTL_SECONDS) -> str:
    """The CSRF token a decision form carries: `exp.sig`, bound to this action."""
    params = signed_params(action_id, ttl, DECIDE)
    return f"{params['exp']}.{params['sig']}"


def verify_form_token(action_id: str, token: str | None) -> bool:
    exp, _, sig = (token or "").partition(".")
    return verify(action_id, exp or None, sig or None, DECIDE)


def shared_secret_ok(candidate: str | None) -> bool:
    """Does `candidate` equal `APPROVALS_SECRET`? (False when either is missing.)"""
    secret = config.env("APPROVALS_SECRET")
    if not secret or not candidate:
        return False
    return hmac.compare_digest(secret.encode(), candidate.encode())
