"""Request signing exactly as Inngest Cloud does it, so the serve endpoint's check is exercised.

`X-Inngest-Signature: t=<unix seconds>&s=<hex HMAC-SHA256(key, JCS(body) + t)>`, where
the key is the signing key without its `signkey-<env>-` prefix. The SDK's own calls to
us (`/fn/register`) carry `Authorization: Bearer <sha256 of the key's hex bytes>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time


def _strip_prefix(key: str) -> str:
    match = re.match(r"^signkey-[\w]+-", key)
    return key[match.end():] if match else key


def canonical(body: bytes) -> bytes:
    """JSON Canonicalization Scheme (RFC 8785) bytes of a JSON body; empty stays empty."""
    if not body:
        return body
    import jcs

    return jcs.canonicalize(json.loads(body))


def sign(body: bytes, signing_key: str, now: int | None = None) -> str:
    ts = str(int(time.time()) if now is None else now)
    mac = hmac.new(_strip_prefix(signing_key).encode(), canonical(body), hashlib.sha256)
    mac.update(ts.encode())
    return f"t={ts}&s={mac.hexdigest()}"


def hashed_key(signing_key: str) -> str:
    return hashlib.sha256(bytes.fromhex(_strip_prefix(signing_key))).hexdigest()


def bearer_ok(authorization: str | None, signing_key: str | None, fallback: str | None = None) -> bool:
    """Whether an SDK request's `Authorization` carries the (hashed) signing key."""
    if not signing_key:
        return True
    if not authorization or not authorization.lower().startswith("bearer "):
        return False
    token = authorization.split(" ", 1)[1].strip()
    return any(k and hmac.compare_digest(token, hashed_key(k)) for k in (signing_key, fallback))
